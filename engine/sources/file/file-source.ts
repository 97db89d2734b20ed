import { watch, type FSWatcher, type Stats } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Facts } from '../../core/facts.js';
import type { Source, SourceContext, SourceStatus } from '../source.js';
import { fileGlobs, type FileDetect } from './file-detect.js';
import { fileDevice, readFileFacts } from './file-facts.js';
import { FileWatchPlan, isBelow } from './file-watch.js';

const sameFacts = (a: Facts['file'], b: Facts['file']) => JSON.stringify(a) === JSON.stringify(b);

/** One watched folder: its inotify watch and the inode it was set on (a re-created folder has another). */
interface FolderWatch {
  watcher: FSWatcher;
  ino: number;
}

/** Where a path's checks stand: one running, and whether another must follow it. */
interface CheckState {
  running: Promise<void>;
  again: boolean;
}

/**
 * Watches the paths the profiles' `detect.file.path` globs name, with inotify (`fs.watch`) on
 * just the folders those globs need. Each event names its entry, and one `lstat` of that path
 * decides present or absent: what is reported is the path's state now, so a node removed and
 * re-created quickly ends present, and one created and removed quickly ends absent. A folder is
 * listed whole only at start, when its watch is set again (the folder was removed and
 * re-created, as udev does with `/dev/v4l/by-id`) and when a watch reports an error.
 */
export class FileSource implements Source {
  readonly kind = 'file';
  private plan: FileWatchPlan;
  private readonly folders = new Map<string, FolderWatch>();
  private ready = false;
  private stopped = false;
  private readonly present = new Map<string, NonNullable<Facts['file']>>();
  private readonly checks = new Map<string, CheckState>();
  // Scans under way, so that start() and update() resolve once every path found is reported.
  private readonly scans = new Set<Promise<void>>();
  private rewatching: Promise<void> | undefined;

  constructor(
    globs: readonly string[],
    private readonly context: SourceContext,
  ) {
    this.plan = new FileWatchPlan(globs);
  }

  async start(_signal?: AbortSignal): Promise<void> {
    await this.watchAll();
  }

  /** Watches a new set of globs (profiles were edited); paths no longer wanted are removed. */
  async update(globs: readonly string[]): Promise<void> {
    if (JSON.stringify([...globs].sort()) === JSON.stringify([...this.plan.globs].sort())) return;
    this.plan = new FileWatchPlan(globs);
    await this.watchAll();
  }

  /** The profiles changed: the paths they name now are watched. */
  profilesChanged(blocks: readonly FileDetect[]): Promise<void> {
    return this.update(fileGlobs(blocks));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closeAll();
    await this.rewatching;
    await this.settled();
  }

  status(): SourceStatus {
    return {
      kind: this.kind,
      mode: this.plan.globs.length === 0 ? 'idle' : 'inotify',
      ready: this.ready,
      detail: `${this.plan.globs.length} globs`,
    };
  }

  /** Drops every watch and watches the plan's roots again, listing them whole. */
  private async watchAll(): Promise<void> {
    this.closeAll();
    if (this.stopped) return;
    for (const root of this.plan.rootFolders()) this.track(this.watchFolder(root));
    // Paths reported before: they may be gone, or no longer wanted by any profile.
    for (const known of this.present.keys()) void this.check(known);
    await this.settled();
    this.ready = true;
  }

  private closeAll(): void {
    for (const { watcher } of this.folders.values()) watcher.close();
    this.folders.clear();
  }

  /** Resolves once no scan and no check is under way (new ones may start while waiting). */
  private async settled(): Promise<void> {
    while (this.scans.size > 0 || this.checks.size > 0) {
      await Promise.all([...this.scans, ...[...this.checks.values()].map((state) => state.running)]);
    }
  }

  private track(scan: Promise<void>): void {
    this.scans.add(scan);
    void scan.finally(() => this.scans.delete(scan));
  }

  /**
   * Sets a watch on `folder`, then lists it: every matching entry is checked and every folder
   * the plan needs is watched in turn. Watching before listing means nothing created in between
   * is missed.
   */
  private async watchFolder(folder: string): Promise<void> {
    if (this.stopped || this.folders.has(folder)) return;
    let stats: Stats;
    try {
      stats = await this.statFolder(folder);
    } catch {
      return;
    }
    if (!stats.isDirectory() || this.stopped || this.folders.has(folder)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(folder, { persistent: false }, (eventType, name) => this.onEvent(folder, eventType, name));
    } catch (error) {
      this.context.log.warn('file watch error', { folder, error: (error as Error).message });
      return;
    }
    watcher.on('error', (error) => {
      this.context.log.warn('file watch error', { folder, error: error.message });
      this.reestablish(folder);
    });
    this.folders.set(folder, { watcher, ino: stats.ino });
    await this.scan(folder);
  }

  /** Lists a watched folder and looks at what it holds, and at known paths in it that may be gone. */
  private async scan(folder: string): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(folder, { withFileTypes: true })).map((entry) => entry.name);
    } catch (error) {
      this.context.log.warn('file watch error', { folder, error: (error as Error).message });
      names = [];
    }
    const looks: Promise<void>[] = [];
    for (const name of names) looks.push(this.look(path.join(folder, name)));
    for (const known of this.present.keys()) if (isBelow(known, folder)) looks.push(this.check(known));
    await Promise.all(looks);
  }

  /** An entry named by a listing or an event: a path to check, a folder to watch, or both. */
  private async look(candidate: string, renamed = false): Promise<void> {
    const work: Promise<void>[] = [];
    if (this.plan.matches(candidate)) work.push(this.check(candidate));
    if (this.plan.wantsFolder(candidate)) work.push(this.folderChanged(candidate, renamed));
    await Promise.all(work);
  }

  private onEvent(folder: string, eventType: string, name: string | Buffer | null): void {
    const watched = this.folders.get(folder);
    if (this.stopped || !watched) return;
    if (name === null) {
      // The event does not say which entry: look at the whole folder.
      this.track(this.scan(folder));
      return;
    }
    const candidate = path.join(folder, name.toString());
    // A content or attribute change cannot change a path's type or device numbers.
    if (eventType === 'change' && this.present.has(candidate)) return;
    this.track(this.look(candidate, eventType === 'rename'));
    // The watched folder itself was removed or replaced: inotify names it by its own name.
    if (name.toString() === path.basename(folder)) this.track(this.verify(folder, watched));
  }

  /**
   * After an event that names the watched folder itself: the folder was removed or moved, and
   * may be back already, under the same inode number (file systems reuse them). Unless the event
   * was for an entry of the same name inside it, the watch is set again.
   */
  private async verify(folder: string, watched: FolderWatch): Promise<void> {
    const [stats, entry] = await Promise.all([
      this.statFolder(folder).catch(() => undefined),
      lstat(path.join(folder, path.basename(folder))).catch(() => undefined),
    ]);
    const same = stats?.isDirectory() && stats.ino === watched.ino && entry !== undefined;
    if (this.folders.get(folder) === watched && !same) this.reestablish(folder);
  }

  /**
   * A folder the plan needs appeared, went or was replaced: its watches follow. After a rename
   * event for it the watch is set again even when the inode number is the same (a removed
   * folder's number is often reused by the next one).
   */
  private async folderChanged(folder: string, renamed = false): Promise<void> {
    const stats = await lstat(folder).catch(() => undefined);
    const watched = this.folders.get(folder);
    if (!renamed && stats?.isDirectory() && watched?.ino === stats.ino) return;
    if (watched) this.unwatchBelow(folder);
    if (stats?.isDirectory()) await this.watchFolder(folder);
    else
      await Promise.all(
        [...this.present.keys()].filter((known) => isBelow(known, folder)).map((known) => this.check(known)),
      );
  }

  /**
   * A folder's stats: a root is followed when it is a link (`/var/run` -> `/run`), as the glob
   * names it; a folder found below is not, so that a link back up is never walked into.
   */
  private statFolder(folder: string): Promise<Stats> {
    return this.plan.rootFolders().includes(folder) ? stat(folder) : lstat(folder);
  }

  private unwatchBelow(folder: string): void {
    for (const [watchedFolder, { watcher }] of this.folders) {
      if (watchedFolder !== folder && !isBelow(watchedFolder, folder)) continue;
      watcher.close();
      this.folders.delete(watchedFolder);
    }
  }

  /**
   * A watch that can no longer be trusted (an error, its folder replaced). A root's parent is not
   * watched, so the plan is worked out again from what exists now; below a root, the parent's
   * watch is there to see the folder come back.
   */
  private reestablish(folder: string): void {
    if (this.stopped) return;
    if (!this.plan.rootFolders().includes(folder)) {
      this.track(this.folderChanged(folder, true));
      return;
    }
    // Not tracked as a scan: watchAll() waits for the scans, and would wait for itself.
    this.rewatching ??= Promise.resolve().then(async () => {
      this.plan = new FileWatchPlan(this.plan.globs);
      await this.watchAll();
      this.rewatching = undefined;
    });
  }

  /**
   * Looks at one path. Checks of a path run one after another; events that come while one runs
   * fold into one more check, which starts after the last of them.
   */
  private check(candidate: string): Promise<void> {
    const state = this.checks.get(candidate);
    if (state) {
      state.again = true;
      return state.running;
    }
    const next: CheckState = { running: Promise.resolve(), again: false };
    next.running = (async () => {
      do {
        next.again = false;
        await this.compare(candidate);
      } while (next.again && !this.stopped);
      this.checks.delete(candidate);
    })();
    this.checks.set(candidate, next);
    return next.running;
  }

  private async compare(candidate: string): Promise<void> {
    const facts = this.plan.matches(candidate) ? await readFileFacts(candidate) : undefined;
    if (this.stopped) return;
    const known = this.present.get(candidate);
    if (facts && !known) {
      this.present.set(candidate, facts);
      this.context.emit({ action: 'add', ...fileDevice(facts) });
    } else if (facts && known && !sameFacts(facts, known)) {
      this.present.set(candidate, facts);
      this.context.emit({ action: 'change', ...fileDevice(facts) });
    } else if (!facts && known) {
      this.present.delete(candidate);
      this.context.emit({ action: 'remove', ...fileDevice(known) });
    }
  }
}
