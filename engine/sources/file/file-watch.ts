import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { compileGlob, pathGlobReach, type GlobMatcher } from '../../match/glob.js';

/** What to watch for one glob: the nearest existing folder and how deep below it to look. */
export interface WatchRoot {
  folder: string;
  /** undefined: no limit (the glob has `**`). */
  depth: number | undefined;
}

/** One glob's base folder and watch root, worked out once. */
interface GlobReach {
  base: string;
  root: WatchRoot;
}

/** Whether `child` is strictly below `parent`. */
export function isBelow(child: string, parent: string): boolean {
  return parent === '/' ? child !== '/' && child.startsWith('/') : child.startsWith(`${parent}/`);
}

/** A path whose segments are not all plain names: `//`, `.`, `..` or a trailing `/`. */
const UNRESOLVED = /\/\/|\/\.\.?(?:\/|$)|.\/$/;

/** How many folder levels `child` is below `parent` (0 for the same folder). */
function levelsBelow(child: string, parent: string): number {
  if (child === parent) return 0;
  // Counted on the text when `child` is plainly below (every caller's usual case): path.relative
  // resolves both paths first, most of the plan's time with 10,000 profiles each watching a path.
  if (!isBelow(child, parent) || UNRESOLVED.test(child)) return path.relative(parent, child).split('/').length;
  let levels = 1;
  for (let at = child.indexOf('/', parent.length + 1); at !== -1; at = child.indexOf('/', at + 1)) levels++;
  return levels;
}

/**
 * Compiled path globs and the folders to watch for them. A glob's base folder may not exist yet
 * (`/dev/v4l/by-id` appears with the first camera) or may not be readable now, so the nearest
 * ancestor that can be watched is, and the folders on the way down to the base as they appear.
 */
export class FileWatchPlan {
  private readonly matchers: GlobMatcher[];
  private readonly reaches: GlobReach[];
  readonly roots: WatchRoot[];

  constructor(readonly globs: readonly string[]) {
    this.matchers = globs.flatMap((glob) => {
      const compiled = compileGlob(glob, 'path');
      return compiled.ok ? [compiled.regex] : [];
    });
    // Globs mostly share their folders (10,000 profiles watching one /dev folder): each is looked at once.
    const watchable = new Map<string, boolean>();
    const canWatchOnce = (folder: string) => {
      let can = watchable.get(folder);
      if (can === undefined) watchable.set(folder, (can = canWatch(folder)));
      return can;
    };
    this.reaches = globs.map((glob) => {
      const reach = pathGlobReach(glob);
      return { base: reach.base, root: watchRoot(reach, canWatchOnce) };
    });
    this.roots = this.reaches.map((reach) => reach.root);
  }

  /** The folders watched first, each once. */
  rootFolders(): string[] {
    return [...new Set(this.roots.map((root) => root.folder))];
  }

  /** Whether a path is one the profiles look for. */
  matches(candidate: string): boolean {
    return this.matchers.some((matcher) => matcher.test(candidate));
  }

  /**
   * Whether a folder must be watched: a root, or a folder below one, no deeper than its glob
   * reaches, on the way to the glob's base or below it.
   */
  wantsFolder(folder: string): boolean {
    return this.reaches.some(
      ({ base, root }) =>
        folder === root.folder ||
        (isBelow(folder, root.folder) &&
          (root.depth === undefined || levelsBelow(folder, root.folder) <= root.depth) &&
          relevantTo(base, folder)),
    );
  }
}

function relevantTo(base: string, candidate: string): boolean {
  return candidate === base || isBelow(base, candidate) || isBelow(candidate, base);
}

/**
 * Whether this process can watch and list a folder: it exists and may be read and searched. A
 * folder made unreadable (`chmod 000`) cannot take an inotify watch, so its parent is watched
 * instead, and sees the folder become readable again.
 */
function canWatch(folder: string): boolean {
  try {
    accessSync(folder, constants.R_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function watchRoot(
  { base, literal, levels }: ReturnType<typeof pathGlobReach>,
  watchable: (folder: string) => boolean,
): WatchRoot {
  // A literal path is watched from its folder, so that it can go and come back.
  let folder = literal ? path.dirname(base) : base;
  while (!watchable(folder) && folder !== '/') folder = path.dirname(folder);
  return { folder, depth: levels === undefined ? undefined : Math.max(0, levelsBelow(base, folder) + levels - 1) };
}
