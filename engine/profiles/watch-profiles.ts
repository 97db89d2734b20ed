import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ListedEntry } from '../core/folder-listing.js';
import { DEFAULT_RESYNC_MS, FolderWatch } from '../core/folder-watch.js';
import type { Logger } from '../core/log.js';
import { findProfileFiles, isHiddenName, isProfileFile } from './load-profiles.js';
import type { ProfileStore } from './profile-store.js';

/** How long after the last event files are reloaded: editors write a file in several steps. */
const SETTLE_MS = 50;
/** The longest a reload waits for events to stop, so that a stream of edits cannot hold one back. */
const SETTLE_CAP_MS = 500;
/** A reload of more files than this logs one summary line (each file at debug). */
const LOGGED_ONE_BY_ONE = 20;

/** Whether a path leads to a folder, following links. */
const isFolderPath = (entry: string): Promise<boolean> =>
  stat(entry).then(
    (stats) => stats.isDirectory(),
    () => false,
  );

/** The symlink a Kubernetes ConfigMap volume swaps to publish a new version of every file at once. */
const CONFIGMAP_SWAP = '..data';

/**
 * Watches the profiles folders (every layer: see profile-layers.ts) and reloads each file that
 * is added, edited or removed, after a short settle (editors write a file in several steps, or
 * write a copy and rename it over). One inotify watch per folder, never one per file (see
 * {@link FolderWatch}, which also repairs lost events, notices each profiles folder removed,
 * re-created or renamed over, and follows profiles that are links to files elsewhere): a
 * folder of 1,000 profiles costs one watch.
 * Hidden entries are not profiles, as at start-up: editors' swap files and a ConfigMap's
 * `..2026_...` folders are never loaded. A ConfigMap update swaps its `..data` link; the files
 * (links through `..data`) do not change themselves, so each is read again, and those whose
 * profile changed are reported. A link to a folder is watched as the loader reads it: followed,
 * but never into a real folder already watched (`loop -> .`), so every file has the path the
 * loader gave it. Files that settle together are reloaded as one batch, and `changed` runs once
 * per batch whose profiles in use changed: a reload costs what changed, not a pass per file.
 */
export class ProfileWatcher {
  private readonly watches: FolderWatch;
  /** The real folder each watched folder is, which the loader would not enter again. */
  private readonly realFolders = new Map<string, string>();
  /** Files waiting for the settle, each with whether its reload may be quiet. */
  private readonly pending = new Map<string, boolean>();
  private settleTimer: NodeJS.Timeout | undefined;
  private pendingSince: number | undefined;
  private reloading = Promise.resolve();
  private stopped = false;
  /** Started before the store has read the folders: what changes is reloaded only once released. */
  private held = false;
  /** While held: each folder's entries as its watch first listed them, for the store's first read. */
  private readonly startListings = new Map<string, ListedEntry[]>();

  constructor(
    private readonly store: ProfileStore,
    private readonly changed: () => void,
    private readonly log: Logger,
    resyncMs = DEFAULT_RESYNC_MS,
  ) {
    this.watches = new FolderWatch({
      log,
      label: 'profile',
      resyncMs,
      persistent: true,
      // What a listing or a link's target reports may be nothing new: said only when a profile changed.
      changed: (folder, names, cause) => this.entriesChanged(folder, names, cause === 'listing' || cause === 'target'),
      replaced: (folder) => void this.folderReplaced(folder),
      followLink: (entry) => isProfileFile(entry) && !isHiddenName(path.basename(entry)),
    });
  }

  /**
   * Watches every folder. `holding`: the store has not read them yet (the daemon watches before
   * it reads, so that a file written meanwhile is not missed); changes seen until `release` wait,
   * so that no reload takes a file before the first read of it does.
   */
  async start(holding = false): Promise<void> {
    this.held = holding;
    for (const folder of this.store.folders) {
      await this.watchTree(folder);
      this.watches.guard(folder);
    }
  }

  /**
   * The entries of `folder` as its watch listed them at start, until `release`: the store's first
   * read lists them no second time (with 10,000 profiles each listing took 30 to 40 ms). What
   * changes after this listing comes as events, and is reloaded once released.
   */
  listingAtStart(folder: string): readonly ListedEntry[] | undefined {
    return this.startListings.get(folder);
  }

  /**
   * The store has read the folders: files that changed since the watch began are reloaded now
   * (a file the store read after its change costs one read: its text is the one checked).
   */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.startListings.clear();
    // Quiet: the store's own read may have found the change already; only what changes is said.
    for (const file of this.pending.keys()) this.pending.set(file, true);
    this.schedule([]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.settleTimer);
    this.watches.close();
    await this.reloading;
  }

  /**
   * Watches `folder` and every folder under it that is not hidden, in the loader's order (entries
   * as listed, depth first), so that of two paths to one real folder the same one is taken.
   * Whether `folder` got a watch of its own (not when its real folder is watched already).
   */
  private async watchTree(folder: string): Promise<boolean> {
    if (this.stopped || this.realFolders.has(folder)) return false;
    let real: string;
    try {
      real = await realpath(folder);
    } catch {
      return false;
    }
    // Checked and taken with no wait in between: two walks cannot both take one real folder.
    if (this.stopped || this.realFolders.has(folder) || new Set(this.realFolders.values()).has(real)) return false;
    this.realFolders.set(folder, real);
    const entries: ListedEntry[] | undefined = await this.watches.watch(folder, true);
    if (entries === undefined) {
      if (!this.watches.has(folder)) this.realFolders.delete(folder);
      return false;
    }
    if (this.held) this.startListings.set(folder, entries);
    for (const { name, type } of entries) {
      if ((type !== 'folder' && type !== 'link') || isHiddenName(name)) continue;
      const full = path.join(folder, name);
      if (type === 'folder' || (await isFolderPath(full))) await this.watchTree(full);
    }
    return true;
  }

  /** Stops watching `folder` and the folders under it. */
  private unwatchTree(folder: string): void {
    this.watches.unwatchBelow(folder);
    for (const watched of [...this.realFolders.keys()])
      if (watched === folder || watched.startsWith(`${folder}/`)) this.realFolders.delete(watched);
  }

  /** Entries of `folder` named by events or found changed by a listing; `quiet` as for {@link schedule}. */
  private entriesChanged(folder: string, names: readonly string[], quiet: boolean): void {
    if (this.stopped) return;
    for (const name of names) {
      if (name === CONFIGMAP_SWAP && this.store.folders.includes(folder)) {
        // Every file is read again: the listing after the swap's event need not ask for that
        // again (it does if it finds the link gone).
        if (!quiet) this.watches.seen(path.join(folder, name), 'link');
        this.schedule(this.store.filesUnder(folder), true);
      } else if (!isHiddenName(name)) void this.entryMayHaveChanged(path.join(folder, name), quiet);
    }
  }

  /** A created, removed, renamed or written entry: a file to reload, or a folder to watch or forget. */
  private async entryMayHaveChanged(entry: string, quiet: boolean): Promise<void> {
    // Followed: a link to a folder is a folder, as for the loader.
    const stats = await stat(entry).catch(() => undefined);
    if (stats?.isDirectory()) {
      if (!this.realFolders.has(entry)) {
        const seen = new Set(this.realFolders.values());
        if (await this.watchTree(entry)) this.schedule(await findProfileFiles(entry, seen).catch(() => []), quiet);
      }
      return;
    }
    if (!stats && this.realFolders.has(entry)) {
      this.unwatchTree(entry);
      this.schedule(this.store.filesUnder(entry), quiet);
    }
    this.schedule([entry], quiet);
  }

  /**
   * A watched folder was removed, re-created or replaced (the profiles folder itself, or one
   * below): it is watched again if it is there, and every file it held or holds is read again.
   */
  private async folderReplaced(folder: string): Promise<void> {
    if (this.stopped) return;
    this.unwatchTree(folder);
    const held = this.store.filesUnder(folder);
    const seen = new Set(this.realFolders.values());
    const found = (await this.watchTree(folder)) ? await findProfileFiles(folder, seen).catch(() => []) : [];
    this.schedule([...held, ...found], true);
  }

  /** Reloads `files` after the settle; `quiet`: say nothing of a file whose profile did not change. */
  private schedule(files: readonly string[], quiet = false): void {
    for (const file of files)
      if (isProfileFile(file)) this.pending.set(file, (this.pending.get(file) ?? true) && quiet);
    if (this.pending.size === 0 || this.stopped || this.held) return;
    this.pendingSince ??= Date.now();
    clearTimeout(this.settleTimer);
    const wait = Math.max(0, Math.min(SETTLE_MS, this.pendingSince + SETTLE_CAP_MS - Date.now()));
    this.settleTimer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    const batch = [...this.pending];
    this.pending.clear();
    this.pendingSince = undefined;
    this.settleTimer = undefined;
    this.reloading = this.reloading.then(() => this.reload(batch));
  }

  /**
   * Reloads a batch of files and says what became of each. A large batch (a ConfigMap update
   * re-reads every file) logs one summary line, and each file at debug: a line per file was a
   * quarter of the update's cost.
   */
  private async reload(batch: readonly [string, boolean][]): Promise<void> {
    const results: { file: string; quiet: boolean; changed: boolean }[] = [];
    for (const [file, quiet] of batch) {
      if (this.stopped) return;
      results.push({ file, quiet, changed: await this.store.reload(file) });
    }
    const large = results.length > LOGGED_ONE_BY_ONE;
    for (const { file, quiet, changed } of results) {
      const issues = this.store.issuesOf(file);
      if (quiet && !changed && issues.length === 0) continue;
      for (const issue of issues) this.log.warn('profile problem', { ...issue });
      if (this.store.fileState(file)?.keptLastGood)
        this.log.warn('profile file is broken; its last good version stays in use', { file });
      this.log[large ? 'debug' : 'info']('profile file reloaded', { file, changed, issues: issues.length });
    }
    const changed = results.filter((result) => result.changed).length;
    if (large) this.log.info('profile files reloaded', { files: results.length, changed });
    if (changed > 0) this.changed();
  }
}
