import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { existsSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { Facts } from '../map/facts.js';
import { FileWatchPlan } from './file-watch.js';
import type { Source, SourceContext, SourceStatus } from './source.js';
import { pathGlobSchema, type SourceDefinition } from './source-definition.js';

export const fileSource: SourceDefinition = {
  kind: 'file',
  description: 'Paths on the filesystem (device nodes, sockets, files), watched with inotify.',
  detectSchema: {
    type: 'object',
    description: 'Matches a path that exists.',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: pathGlobSchema('Absolute path.', '/dev/video*'),
    },
    examples: [{ path: '/dev/video*' }],
  },
  facts: {
    path: 'the path',
    name: 'its last segment',
    dir: 'the folder holding it',
    type: 'file, directory, character, block, socket, fifo or symlink',
    major: 'major device number, for device nodes',
    minor: 'minor device number, for device nodes',
  },
};

/** The file facts of a path that exists, or undefined when it does not. */
export async function readFileFacts(candidate: string): Promise<NonNullable<Facts['file']> | undefined> {
  let stats: Stats;
  try {
    stats = await lstat(candidate);
  } catch {
    return undefined;
  }
  const device = stats.isCharacterDevice() || stats.isBlockDevice();
  // Linux dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
  const rdev = BigInt(stats.rdev);
  return {
    path: candidate,
    name: path.basename(candidate),
    dir: path.dirname(candidate),
    type: fileType(stats),
    major: device ? Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)) : null,
    minor: device ? Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)) : null,
  };
}

function fileType(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'character';
  if (stats.isBlockDevice()) return 'block';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSocket()) return 'socket';
  if (stats.isFIFO()) return 'fifo';
  return 'file';
}

const sameFacts = (a: Facts['file'], b: Facts['file']) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Watches the paths the profiles' `detect.file.path` globs name, with inotify (chokidar, no
 * polling). Every event only prompts a look at the path itself, so what is reported is the
 * path's state now: a node removed and re-created quickly ends as present.
 */
export class FileSource implements Source {
  readonly kind = 'file';
  private plan: FileWatchPlan;
  private watcher: FSWatcher | undefined;
  private ready = false;
  private stopped = false;
  private readonly present = new Map<string, NonNullable<Facts['file']>>();
  // Checks of one path run one after another, so that their results arrive in order.
  private readonly checks = new Map<string, Promise<void>>();

  constructor(
    globs: readonly string[],
    private readonly context: SourceContext,
  ) {
    this.plan = new FileWatchPlan(globs);
  }

  async start(_signal?: AbortSignal): Promise<void> {
    await this.watch();
  }

  /** Watches a new set of globs (profiles were edited); paths no longer wanted are removed. */
  async update(globs: readonly string[]): Promise<void> {
    if (JSON.stringify([...globs].sort()) === JSON.stringify([...this.plan.globs].sort())) return;
    this.plan = new FileWatchPlan(globs);
    await this.watcher?.close();
    await this.watch();
  }

  private async rewatch(): Promise<void> {
    const previous = this.watcher;
    this.watcher = undefined;
    this.plan = new FileWatchPlan(this.plan.globs);
    await previous?.close();
    await this.watch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watcher?.close();
    this.watcher = undefined;
    await Promise.all(this.checks.values());
  }

  status(): SourceStatus {
    return { kind: this.kind, mode: this.plan.globs.length === 0 ? 'idle' : 'inotify', ready: this.ready, detail: `${this.plan.globs.length} globs` };
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const plan = this.plan;
    if (plan.globs.length === 0) {
      await Promise.all([...this.present.keys()].map((known) => this.check(known)));
      this.ready = true;
      return;
    }
    const watcher = chokidarWatch([...new Set(plan.roots.map((root) => root.folder))], {
      // The daemon lives as long as its status server; a watcher must not hold a process open
      // (chokidar keeps a handle on a watched folder that was deleted).
      persistent: false,
      // Every event only prompts a look at the path, which already handles a quick remove and
      // re-create; chokidar's own "atomic" handling would hold each removal back by 100 ms.
      atomic: false,
      ignoreInitial: false,
      followSymlinks: false,
      depth: plan.roots.some((root) => root.depth === undefined) ? undefined : Math.max(...plan.roots.map((root) => root.depth ?? 0)),
      ignored: (candidate: string) => !plan.isRelevant(candidate) && !plan.matches(candidate),
    });
    this.watcher = watcher;
    watcher.on('all', (_event, changed) => {
      if (plan.matches(changed)) void this.check(changed);
      else for (const known of this.present.keys()) if (known.startsWith(`${changed}/`)) void this.check(known);
    });
    watcher.on('unlinkDir', (folder) => {
      // The folder being watched went (udev removes /dev/v4l/by-id with the last camera): watch
      // again from what exists now, so that it is seen when it comes back.
      if (plan.isOnTheWay(folder) && !existsSync(folder) && this.watcher === watcher) void this.rewatch();
    });
    watcher.on('error', (error) => this.context.log.warn('file watch error', { error: (error as Error).message }));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    // stop() may have come while this watch was starting (a rewatch): it must not outlive it.
    if (this.stopped) {
      await watcher.close();
      return;
    }
    // Paths reported before this watch began must be looked at again: they may be gone, or
    // no longer wanted by any profile.
    await Promise.all([...this.present.keys()].map((known) => this.check(known)));
    await Promise.all(this.checks.values());
    this.ready = true;
  }

  private check(candidate: string): Promise<void> {
    const previous = this.checks.get(candidate) ?? Promise.resolve();
    const next = previous.then(() => this.compare(candidate));
    this.checks.set(candidate, next);
    void next.finally(() => {
      if (this.checks.get(candidate) === next) this.checks.delete(candidate);
    });
    return next;
  }

  private async compare(candidate: string): Promise<void> {
    const facts = this.plan.matches(candidate) ? await readFileFacts(candidate) : undefined;
    const known = this.present.get(candidate);
    const key = `file:${candidate}`;
    if (facts && !known) {
      this.present.set(candidate, facts);
      this.context.emit({ action: 'add', key, source: this.kind, facts: { file: facts } });
    } else if (facts && known && !sameFacts(facts, known)) {
      this.present.set(candidate, facts);
      this.context.emit({ action: 'change', key, source: this.kind, facts: { file: facts } });
    } else if (!facts && known) {
      this.present.delete(candidate);
      this.context.emit({ action: 'remove', key, source: this.kind, facts: { file: known } });
    }
  }
}
