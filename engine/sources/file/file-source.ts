import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Facts } from '../../core/facts.js';
import type { EntryType, ListedEntry } from '../../core/folder-listing.js';
import { DEFAULT_RESYNC_MS, FolderWatch, type ChangeCause } from '../../core/folder-watch.js';
import type { Source, SourceContext, SourceStatus } from '../source.js';
import { fileGlobs, type FileDetect } from './file-detect.js';
import { fileDevice, readFileFacts } from './file-facts.js';
import { FileWatchPlan, isBelow } from './file-watch.js';

const sameFacts = (a: Facts['file'], b: Facts['file']) => JSON.stringify(a) === JSON.stringify(b);

/** A path's type as its file facts name it, as a folder listing names it. */
const LISTED_TYPES: Readonly<Record<string, EntryType>> = { file: 'file', directory: 'folder', symlink: 'link' };

/** Where a path's checks stand: one running, and whether another must follow it. */
interface CheckState {
  running: Promise<void>;
  again: boolean;
}

/**
 * Watches the paths the profiles' `detect.file.path` globs name, with one inotify watch per
 * folder those globs need (see {@link FolderWatch}, which also lists a folder again after its
 * events and every `resyncMs`, and notices roots replaced). Each entry named by an event or a
 * listing gets one `lstat`, which decides present or absent: what is reported is the path's
 * state now, so a node removed and re-created quickly ends present, and one created and removed
 * quickly ends absent. What the `lstat` found is told to the watch, so the listing after the event
 * names the path again only when it finds it otherwise (a burst is not looked at twice).
 */
export class FileSource implements Source {
  readonly kind = 'file';
  private plan: FileWatchPlan;
  private readonly watches: FolderWatch;
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
    resyncMs = DEFAULT_RESYNC_MS,
  ) {
    this.plan = new FileWatchPlan(globs);
    this.watches = new FolderWatch({
      log: context.log,
      label: 'file',
      resyncMs,
      persistent: false,
      changed: (folder, names, cause) => this.entriesChanged(folder, names, cause),
      replaced: (folder) => this.reestablish(folder),
    });
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
    this.watches.close();
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
    this.watches.clear();
    if (this.stopped) return;
    const roots = this.plan.rootFolders();
    for (const root of roots) this.track(this.watchFolder(root).then(() => this.watches.guard(root)));
    // Paths reported before: they may be gone, or no longer wanted by any profile.
    for (const known of this.present.keys()) void this.check(known);
    await this.settled();
    this.ready = true;
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
   * Watches `folder` and looks at what it holds: every matching entry is checked and every folder
   * the plan needs is watched in turn; so are known paths in it, which may be gone.
   */
  private async watchFolder(folder: string): Promise<void> {
    if (this.stopped || this.watches.has(folder)) return;
    // A root is followed when it is a link (`/var/run` -> `/run`), as the glob names it.
    const entries: ListedEntry[] = (await this.watches.watch(folder, this.isRoot(folder))) ?? [];
    const looks = entries.map(({ name }) => this.look(path.join(folder, name)));
    for (const known of this.present.keys()) if (isBelow(known, folder)) looks.push(this.check(known));
    await Promise.all(looks);
  }

  private isRoot(folder: string): boolean {
    return this.plan.rootFolders().includes(folder);
  }

  /** An entry named by a listing or an event: a path to check, a folder to watch, or both. */
  private async look(candidate: string, renamed = false): Promise<void> {
    const work: Promise<void>[] = [];
    if (this.plan.matches(candidate)) work.push(this.check(candidate));
    if (this.plan.wantsFolder(candidate)) work.push(this.folderChanged(candidate, renamed));
    await Promise.all(work);
  }

  private entriesChanged(folder: string, names: readonly string[], cause: ChangeCause): void {
    if (this.stopped) return;
    for (const name of names) {
      const candidate = path.join(folder, name);
      // A content or attribute change cannot change a path's type or device numbers.
      if (cause === 'change' && this.present.has(candidate)) continue;
      this.track(this.look(candidate, cause !== 'change'));
    }
  }

  /**
   * A folder the plan needs appeared, went or was replaced: its watches follow. After a rename
   * event for it the watch is set again even when the inode number is the same (a removed
   * folder's number is often reused by the next one).
   */
  private async folderChanged(folder: string, renamed = false): Promise<void> {
    const stats = await lstat(folder).catch(() => undefined);
    if (!renamed && stats?.isDirectory() && this.watches.has(folder)) return;
    this.watches.unwatchBelow(folder);
    if (stats?.isDirectory()) await this.watchFolder(folder);
    else
      await Promise.all(
        [...this.present.keys()].filter((known) => isBelow(known, folder)).map((known) => this.check(known)),
      );
  }

  /**
   * A watch that can no longer be trusted (an error, its folder replaced). Below a root, the
   * folder is looked at again from its parent's side; a root's replacement may change which
   * folders exist to be watched, so the plan is worked out again from what exists now.
   */
  private reestablish(folder: string): void {
    if (this.stopped) return;
    if (!this.isRoot(folder)) {
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
    const looked = this.plan.matches(candidate);
    const facts = looked ? await readFileFacts(candidate) : undefined;
    if (this.stopped) return;
    // The listing after the event that brought this check need not report the path again.
    if (looked) this.watches.seen(candidate, facts && (LISTED_TYPES[facts.type] ?? 'other'));
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
