import { watch, type FSWatcher } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../core/log.js';
import { findProfileFiles, isHiddenName, isProfileFile } from './load-profiles.js';
import type { ProfileStore } from './profile-store.js';

const SETTLE_MS = 50;

/** Whether a path leads to a folder, following links. */
const isFolderPath = (entry: string): Promise<boolean> =>
  stat(entry).then(
    (stats) => stats.isDirectory(),
    () => false,
  );

/** The symlink a Kubernetes ConfigMap volume swaps to publish a new version of every file at once. */
const CONFIGMAP_SWAP = '..data';

/**
 * Watches the profiles folder and reloads each file that is added, edited or removed, after a
 * short settle (editors write a file in several steps, or write a copy and rename it over).
 * One inotify watch per folder (`fs.watch`), never one per file: each event names its entry,
 * which is reloaded by path, so a folder of 1,000 profiles costs one watch, not 1,001.
 * Hidden entries are not profiles, as at start-up: editors' swap files and a ConfigMap's
 * `..2026_...` folders are never loaded. A ConfigMap update swaps its `..data` link; the files
 * (links through `..data`) do not change themselves, so each is read again, and those whose
 * profile changed are reported. A link to a folder is watched as the loader reads it: followed,
 * but never into a real folder already watched (`loop -> .`), so every file has the path the
 * loader gave it. `changed` runs once the store's profiles in use have changed.
 */
export class ProfileWatcher {
  /** A watch per folder under the profiles folder, by path, with the real folder it is. */
  private readonly watchers = new Map<string, { watcher: FSWatcher; real: string }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private reloading = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly store: ProfileStore,
    private readonly changed: () => void,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.watchTree(this.store.folder);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    for (const { watcher } of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.reloading;
  }

  /** The real folders watched, which the loader would not enter again. */
  private watchedFolders(): Set<string> {
    return new Set([...this.watchers.values()].map(({ real }) => real));
  }

  /**
   * Watches `folder` and every folder under it that is not hidden, in the loader's order (entries
   * as listed, depth first), so that of two paths to one real folder the same one is taken.
   * Whether `folder` got a watch of its own (not when its real folder is watched already).
   */
  private async watchTree(folder: string): Promise<boolean> {
    if (this.stopped || this.watchers.has(folder)) return false;
    try {
      const real = await realpath(folder);
      // Checked and set with no wait in between: two walks cannot both take one real folder.
      if (this.stopped || this.watchers.has(folder) || this.watchedFolders().has(real)) return false;
      const watcher = watch(folder, { persistent: true }, (_event, name) =>
        this.entryChanged(folder, name === null ? undefined : String(name)),
      );
      watcher.on('error', (error) => {
        this.log.warn('profile watch error', { folder, error: error.message });
        this.unwatchTree(folder);
      });
      this.watchers.set(folder, { watcher, real });
      for (const entry of await readdir(folder, { withFileTypes: true })) {
        if (isHiddenName(entry.name)) continue;
        const full = path.join(folder, entry.name);
        const isFolder = entry.isDirectory() || (entry.isSymbolicLink() && (await isFolderPath(full)));
        if (isFolder) await this.watchTree(full);
      }
      return true;
    } catch (error) {
      // Gone already (removed while being walked), or not readable: said, and the rest goes on.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log.warn('profile watch error', { folder, error: (error as Error).message });
      return this.watchers.has(folder);
    }
  }

  /** Stops watching `folder` and the folders under it. */
  private unwatchTree(folder: string): void {
    for (const [watched, { watcher }] of this.watchers) {
      if (watched === folder || watched.startsWith(`${folder}/`)) {
        watcher.close();
        this.watchers.delete(watched);
      }
    }
  }

  /** One event in `folder`: about the entry `name`, or (no name) about anything in it. */
  private entryChanged(folder: string, name: string | undefined): void {
    if (this.stopped) return;
    if (name === undefined) {
      void this.folderChanged(folder);
      return;
    }
    if (folder === this.store.folder && name === CONFIGMAP_SWAP) {
      this.schedule(this.store.filesUnder(folder), true);
      return;
    }
    if (isHiddenName(name)) return;
    void this.entryMayHaveChanged(path.join(folder, name));
  }

  /** A created, removed, renamed or written entry: a file to reload, or a folder to watch or forget. */
  private async entryMayHaveChanged(entry: string): Promise<void> {
    // Followed: a link to a folder is a folder, as for the loader.
    const stats = await stat(entry).catch(() => undefined);
    if (stats?.isDirectory()) {
      if (!this.watchers.has(entry)) {
        const seen = this.watchedFolders();
        if (await this.watchTree(entry)) this.schedule(await findProfileFiles(entry, seen).catch(() => []));
      }
      return;
    }
    if (!stats && this.watchers.has(entry)) {
      this.unwatchTree(entry);
      this.schedule(this.store.filesUnder(entry));
    }
    this.schedule([entry]);
  }

  /** An event that named no entry: every file in the folder is read again, quietly. */
  private async folderChanged(folder: string): Promise<void> {
    const names = await readdir(folder).catch(() => []);
    this.schedule(
      [
        ...this.store.filesUnder(folder),
        ...names.filter((name) => !isHiddenName(name)).map((name) => path.join(folder, name)),
      ],
      true,
    );
  }

  /** Reloads `files` after the settle; `quiet`: say nothing of a file whose profile did not change. */
  private schedule(files: string[], quiet = false): void {
    for (const file of files.filter((candidate) => isProfileFile(candidate))) {
      clearTimeout(this.timers.get(file));
      this.timers.set(
        file,
        setTimeout(() => {
          this.timers.delete(file);
          this.reloading = this.reloading.then(() => this.reload(file, quiet));
        }, SETTLE_MS),
      );
    }
  }

  private async reload(file: string, quiet: boolean): Promise<void> {
    if (this.stopped) return;
    const changed = await this.store.reload(file);
    const issues = this.store.issuesOf(file);
    if (quiet && !changed && issues.length === 0) return;
    for (const issue of issues) this.log.warn('profile problem', { ...issue });
    const state = this.store.fileState(file);
    if (state?.keptLastGood) this.log.warn('profile file is broken; its last good version stays in use', { file });
    this.log.info('profile file reloaded', { file, changed, issues: issues.length });
    if (changed) this.changed();
  }
}
