import { existsSync } from 'node:fs';
import path from 'node:path';
import { compileGlob, globBase, type GlobMatcher } from '../match/glob.js';

/** What to watch for one glob: the nearest existing folder and how deep below it to look. */
export interface WatchRoot {
  folder: string;
  /** undefined: no limit (the glob has `**`). */
  depth: number | undefined;
}

/**
 * Compiled path globs and the folders to watch for them. A glob's base folder may not exist yet
 * (`/dev/v4l/by-id` appears with the first camera), so the nearest existing ancestor is watched,
 * deep enough to see the base appear.
 */
export class FileWatchPlan {
  private readonly matchers: GlobMatcher[];
  /** Each glob's literal base folder, worked out once: `isRelevant` runs for every path seen. */
  private readonly bases: string[];
  readonly roots: WatchRoot[];

  constructor(readonly globs: readonly string[]) {
    this.matchers = globs.flatMap((glob) => {
      const compiled = compileGlob(glob, 'path');
      return compiled.ok ? [compiled.regex] : [];
    });
    this.bases = globs.map((glob) => globBase(glob));
    this.roots = globs.map((glob) => watchRoot(glob));
  }

  /** Whether a path is one the profiles look for. */
  matches(candidate: string): boolean {
    return this.matchers.some((matcher) => matcher.test(candidate));
  }

  /** Whether a folder is on the way down to some glob's base: its removal leaves that glob unwatched. */
  isOnTheWay(folder: string): boolean {
    return this.roots.some((root) => root.folder === folder || root.folder.startsWith(`${folder}/`));
  }

  /** Whether a path can lead to a match: on the way down to a glob's base, or below it. */
  isRelevant(candidate: string): boolean {
    const asFolder = candidate.endsWith('/') ? candidate : `${candidate}/`;
    return this.bases.some((base) => candidate === base || base.startsWith(asFolder) || candidate.startsWith(`${base}/`));
  }
}

function watchRoot(glob: string): WatchRoot {
  const base = globBase(glob);
  // A literal path is watched from its folder, so that it can go and come back.
  let folder = base === glob ? path.dirname(base) : base;
  while (!existsSync(folder) && folder !== '/') folder = path.dirname(folder);
  const below = glob.slice(folder.length).split('/').filter(Boolean).length;
  return { folder, depth: glob.includes('**') ? undefined : Math.max(0, below - 1) };
}
