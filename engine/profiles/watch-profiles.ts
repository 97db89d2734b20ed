import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import type { Logger } from '../log.js';
import { isProfileFile } from './load-profiles.js';
import type { ProfileStore } from './profile-store.js';

const SETTLE_MS = 50;

/**
 * Watches the profiles folder and reloads each file that is added, edited or removed, after a
 * short settle (editors write a file in several steps). `changed` runs once the store's
 * profiles in use have changed.
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
    const watcher = chokidarWatch(this.store.folder, {
      ignoreInitial: true,
      ignored: (candidate, stats) => (stats?.isFile() ?? false) && !isProfileFile(candidate),
    });
    this.watcher = watcher;
    watcher.on('add', (file) => this.schedule([file]));
    watcher.on('change', (file) => this.schedule([file]));
    watcher.on('unlink', (file) => this.schedule([file]));
    watcher.on('unlinkDir', (folder) => this.schedule(this.store.filesUnder(folder)));
    watcher.on('error', (error) => this.log.warn('profile watch error', { error: (error as Error).message }));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    await this.watcher?.close();
    await this.reloading;
  }

  private schedule(files: string[]): void {
    for (const file of files.filter((candidate) => isProfileFile(candidate))) {
      clearTimeout(this.timers.get(file));
      this.timers.set(
        file,
        setTimeout(() => {
          this.timers.delete(file);
          this.reloading = this.reloading.then(() => this.reload(file));
        }, SETTLE_MS),
      );
    }
  }

  private async reload(file: string): Promise<void> {
    const changed = await this.store.reload(file);
    const issues = this.store.issues().filter((issue) => issue.file === file);
    for (const issue of issues) this.log.warn('profile problem', { ...issue });
    const state = this.store.files().find((entry) => entry.file === file);
    if (state?.keptLastGood) this.log.warn('profile file is broken; its last good version stays in use', { file });
    this.log.info('profile file reloaded', { file, changed, issues: issues.length });
    if (changed) this.changed();
  }
}
