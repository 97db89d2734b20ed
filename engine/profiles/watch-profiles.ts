import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import path from 'node:path';
import type { Logger } from '../core/log.js';
import { isHiddenName, isProfileFile } from './load-profiles.js';
import type { ProfileStore } from './profile-store.js';

const SETTLE_MS = 50;

/** The symlink a Kubernetes ConfigMap volume swaps to publish a new version of every file at once. */
const CONFIGMAP_SWAP = '..data';

/**
 * Watches the profiles folder (one recursive watch, chokidar) and reloads each file that is
 * added, edited or removed, after a short settle (editors write a file in several steps).
 * Hidden entries are not profiles, as at start-up: editors' swap files and a ConfigMap's
 * `..2026_...` folders are never loaded. A ConfigMap update swaps its `..data` link; the files
 * (links through `..data`) do not change themselves, so each is read again, and those whose
 * profile changed are reported. `changed` runs once the store's profiles in use have changed.
 */
export class ProfileWatcher {
  private watcher: FSWatcher | undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private reloading = Promise.resolve();

  constructor(
    private readonly store: ProfileStore,
    private readonly changed: () => void,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const folder = this.store.folder;
    const watcher = chokidarWatch(folder, {
      ignoreInitial: true,
      // Links are watched as entries, never followed: a link back up (`loop -> .`) would be
      // walked for ever, and a ConfigMap's links are covered by its `..data` swap.
      followSymlinks: false,
      ignored: (candidate, stats) => {
        const relative = path.relative(folder, candidate);
        if (relative === '' || relative === CONFIGMAP_SWAP) return false;
        if (relative.split(path.sep).some(isHiddenName)) return true;
        return (stats?.isFile() ?? false) && !isProfileFile(candidate);
      },
    });
    this.watcher = watcher;
    const swapped = (entry: string) => path.relative(folder, entry) === CONFIGMAP_SWAP;
    watcher.on('all', (event, entry) => {
      if (swapped(entry)) this.schedule(this.store.filesUnder(folder), true);
      else if (event === 'add' || event === 'change' || event === 'unlink') this.schedule([entry]);
      else if (event === 'unlinkDir') this.schedule(this.store.filesUnder(entry));
    });
    watcher.on('error', (error) => this.log.warn('profile watch error', { error: (error as Error).message }));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    await this.watcher?.close();
    await this.reloading;
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
    const changed = await this.store.reload(file);
    const issues = this.store.issues().filter((issue) => issue.file === file);
    if (quiet && !changed && issues.length === 0) return;
    for (const issue of issues) this.log.warn('profile problem', { ...issue });
    const state = this.store.files().find((entry) => entry.file === file);
    if (state?.keptLastGood) this.log.warn('profile file is broken; its last good version stays in use', { file });
    this.log.info('profile file reloaded', { file, changed, issues: issues.length });
    if (changed) this.changed();
  }
}
