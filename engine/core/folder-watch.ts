import { watch, type FSWatcher, type Stats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import { changedNames, FolderLister, type EntryType, type ListedEntry } from './folder-listing.js';
import { FollowedLinks } from './followed-links.js';
import type { Logger } from './log.js';

/**
 * Why entries are reported: an event named them (`rename`: created, removed or moved; `change`:
 * written), a listing found them added, removed or of another type than the last one did
 * (`listing`), or they are followed links whose target changed or went (`target`).
 */
export type ChangeCause = 'rename' | 'change' | 'listing' | 'target';

/** What a {@link FolderWatch} is for and whom it tells. */
export interface FolderWatchOptions {
  log: Logger;
  /** Names the watch in log lines: `<label> watch error`. */
  label: string;
  /** How often every watched folder is listed again, in ms (the backstop for lost events). */
  resyncMs: number;
  /** Whether the watches keep the process alive. */
  persistent: boolean;
  /** Entries of a watched folder that may have changed; the names are valid UTF-8 (others are refused with a warning). */
  changed(folder: string, names: readonly string[], cause: ChangeCause): void;
  /**
   * A watched folder was removed, re-created or replaced (renamed over), or a guarded root came
   * back: its watch is closed, and the user watches it again if it still wants it.
   */
  replaced(folder: string): void;
  /** Whether an entry that is a link to a file is followed, so that editing its target reports it. */
  followLink?(entry: string): boolean;
}

/** One watched folder: its inotify watch, the inode it was set on and the last listing. */
interface WatchedFolder {
  watcher: FSWatcher;
  ino: number;
  /** Whether a link at this path is followed (a root named through `/var/run -> /run`). */
  follow: boolean;
  listing: Map<string, EntryType>;
  /**
   * Names a `rename` event named since the last listing that the user has not said it looked at
   * ({@link FolderWatch.seen}): the next listing reports them whatever it finds.
   */
  unseen: Set<string>;
  relistTimer?: NodeJS.Timeout;
  /** When the pending listing runs (`Date.now()` time). */
  relistDue?: number;
  relisting: Promise<void>;
}

/** The default resync interval: how long an event inotify lost can stay unrepaired. */
export const DEFAULT_RESYNC_MS = 30_000;

/**
 * The config option of a watcher's resync interval (the profiles folder's and the file source's),
 * its bounds and default written once; `what` says what it lists again.
 */
export const resyncMsSchema = <What extends string>(what: What) =>
  ({
    type: 'integer',
    minimum: 100,
    default: DEFAULT_RESYNC_MS,
    description: `How often every watched folder${what} is listed again (one readdir each), to repair events inotify lost (a queue overflow): the longest a lost event stays unseen.`,
  }) as const;

/** After an entry was created, removed or moved, how long before its folder is listed again: a burst costs one listing. */
const RELIST_DELAY_MS = 100;
/**
 * After an entry was written, how long before its folder is listed again: writes (to `/dev/null`
 * in a watched `/dev`, say) can come all the time, and a listing per second is enough behind them.
 */
const RELIST_AFTER_WRITE_MS = 1000;

const statOf = (folder: string, follow: boolean): Promise<Stats | undefined> =>
  (follow ? stat(folder) : lstat(folder)).catch(() => undefined);

/**
 * Folder watching that does not go blind: one inotify watch (`fs.watch`) per folder, and behind
 * it a backstop, as chokidar and Telegraf have. Events come in fast and name their entries; but
 * inotify loses them (an overflowed queue, which libuv drops without a word) and cannot see a
 * watched folder replaced. So any event in a folder lists it again shortly after (a lost event is
 * repaired by the next one; what a listing finds is compared with the last listing as updated by
 * what the user says it saw since, and every entry an event named and the user did not look at
 * is reported again), a periodic resync lists every folder (one `readdir` and one `stat`
 * each; nothing is reported when nothing changed), a listing that finds the folder's inode changed
 * reports it replaced, and the parents of the roots are watched for the roots' own names, so a
 * root removed, re-created or renamed over is noticed. Links to files can be followed (see
 * {@link FollowedLinks}).
 */
export class FolderWatch {
  private readonly folders = new Map<string, WatchedFolder>();
  /** Roots whose parent is watched for their name, with the inode they had when last seen. */
  private readonly guards = new Map<string, { watcher: FSWatcher | undefined; ino: number | undefined }>();
  private readonly links: FollowedLinks;
  private readonly lister: FolderLister;
  private resyncTimer: NodeJS.Timeout | undefined;
  private resyncing = false;

  constructor(private readonly options: FolderWatchOptions) {
    this.lister = new FolderLister(options.log, options.label);
    this.links = new FollowedLinks(options.persistent, (link) =>
      options.changed(path.dirname(link), [path.basename(link)], 'target'),
    );
  }

  /** Whether `folder` has a watch. */
  has(folder: string): boolean {
    return this.folders.has(folder);
  }

  /**
   * Watches a folder, then lists it (so nothing created in between is missed); resolves with its
   * entries, or undefined when it is not a folder, is watched already or cannot be watched.
   * `follow`: a link at this path is followed (for roots; a folder found below never is, so that
   * a link back up is not walked into).
   */
  async watch(folder: string, follow = false): Promise<ListedEntry[] | undefined> {
    const stats = await statOf(folder, follow);
    if (!stats?.isDirectory() || this.folders.has(folder)) return undefined;
    let watcher: FSWatcher;
    try {
      watcher = watch(folder, { persistent: this.options.persistent, encoding: 'buffer' }, (event, name) =>
        this.onEvent(folder, event, name),
      );
    } catch (error) {
      this.options.log.warn(`${this.options.label} watch error`, { folder, error: (error as Error).message });
      return undefined;
    }
    const watched: WatchedFolder = {
      watcher,
      ino: stats.ino,
      follow,
      listing: new Map(),
      unseen: new Set(),
      relisting: Promise.resolve(),
    };
    watcher.on('error', (error) => {
      this.options.log.warn(`${this.options.label} watch error`, { folder, error: error.message });
      if (this.folders.get(folder) === watched) this.lost(folder, true);
    });
    this.folders.set(folder, watched);
    this.resyncTimer ??= setInterval(() => void this.resync(), this.options.resyncMs).unref();
    const entries = (await this.lister.list(folder)) ?? [];
    watched.listing = new Map(entries.map(({ name, type }) => [name, type]));
    this.followLinks(folder, entries);
    return entries;
  }

  /**
   * The user looked at `entry` itself (an event named it) and found it of `type`, or gone: the
   * next listing of its folder is compared with that, so it reports the entry only when it finds
   * otherwise. Without it, an entry an event named is reported again by the listing after it,
   * whatever the user found (every file of a burst looked at twice).
   */
  seen(entry: string, type: EntryType | undefined): void {
    const watched = this.folders.get(path.dirname(entry));
    if (!watched) return;
    const name = path.basename(entry);
    watched.unseen.delete(name);
    if (type === undefined) watched.listing.delete(name);
    else watched.listing.set(name, type);
  }

  /** Stops watching `folder` and every folder below it. */
  unwatchBelow(folder: string): void {
    for (const watched of [...this.folders.keys()])
      if (watched === folder || watched.startsWith(folder === '/' ? '/' : `${folder}/`)) this.drop(watched);
    this.links.unfollowBelow(folder);
  }

  /**
   * Watches the parent of `root` for entries named like it, so that the root removed, re-created
   * or renamed over is reported through `replaced`. Call once `root` is watched (or found absent).
   */
  guard(root: string): void {
    if (this.guards.has(root) || root === '/') return;
    const guard = { watcher: undefined as FSWatcher | undefined, ino: this.folders.get(root)?.ino };
    this.guards.set(root, guard);
    try {
      guard.watcher = watch(path.dirname(root), { persistent: this.options.persistent }, (_event, name) => {
        if (name === path.basename(root)) void this.confirm(root, false);
      });
      // A parent that cannot be watched (or is removed): the resync still looks at the root.
      guard.watcher.on('error', () => guard.watcher?.close());
    } catch {
      guard.watcher = undefined;
    }
  }

  /** Closes every watch (they can be set again). */
  clear(): void {
    for (const folder of [...this.folders.keys()]) this.drop(folder);
    for (const { watcher } of this.guards.values()) watcher?.close();
    this.guards.clear();
    this.links.close();
  }

  /** Closes every watch and stops the resync. */
  close(): void {
    this.clear();
    clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
  }

  /** Lists every folder and looks at every guarded root and followed target once. */
  async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      await Promise.all([...this.guards.keys()].map((root) => this.confirm(root, false)));
      await Promise.all([...this.folders.keys()].map((folder) => this.relist(folder)));
      await this.links.resync();
    } finally {
      this.resyncing = false;
    }
  }

  private drop(folder: string): void {
    const watched = this.folders.get(folder);
    if (!watched) return;
    watched.watcher.close();
    clearTimeout(watched.relistTimer);
    this.folders.delete(folder);
  }

  private onEvent(folder: string, event: string, name: Buffer | null): void {
    const watched = this.folders.get(folder);
    if (!watched) return;
    this.scheduleRelist(folder, watched, event === 'change' ? RELIST_AFTER_WRITE_MS : RELIST_DELAY_MS);
    // libuv always names the entry on Linux; what it does not name, the listing above finds.
    const text = name && this.lister.textName(folder, name);
    if (!text) return;
    if (event === 'rename') watched.unseen.add(text);
    this.options.changed(folder, [text], event === 'change' ? 'change' : 'rename');
    // A link made again may lead elsewhere now: its target is followed from here on.
    if (event === 'rename') this.followLinks(folder, [{ name: text, type: 'link' }]);
    // inotify names the watched folder itself by its own name when it is removed or moved away.
    if (text === path.basename(folder) && event === 'rename')
      void lstat(path.join(folder, text)).catch(() => this.confirm(folder, true));
  }

  /** Lists `folder` again after `delayMs`, unless a listing is due sooner already. */
  private scheduleRelist(folder: string, watched: WatchedFolder, delayMs: number): void {
    const due = Date.now() + delayMs;
    if (watched.relistTimer && watched.relistDue! <= due) return;
    clearTimeout(watched.relistTimer);
    watched.relistDue = due;
    watched.relistTimer = setTimeout(() => {
      watched.relistTimer = undefined;
      void this.relist(folder);
    }, delayMs).unref();
  }

  /** Lists `folder` again (one after another per folder) and reports what the listing changed. */
  private relist(folder: string): Promise<void> {
    const watched = this.folders.get(folder);
    if (!watched) return Promise.resolve();
    watched.relisting = watched.relisting.then(async () => {
      const stats = await statOf(folder, watched.follow);
      if (this.folders.get(folder) !== watched) return;
      if (!stats?.isDirectory() || stats.ino !== watched.ino) return this.confirm(folder, true);
      const entries = (await this.lister.list(folder)) ?? [];
      if (this.folders.get(folder) !== watched) return;
      const listing = new Map(entries.map(({ name, type }) => [name, type]));
      // What the user made of an event may be out of date: a later event for the name may be
      // lost (created and removed again, its removal dropped), and no listing saw it in between.
      const changed = [...new Set([...changedNames(watched.listing, listing), ...watched.unseen])];
      watched.unseen.clear();
      watched.listing = listing;
      if (changed.length === 0) return;
      this.options.changed(folder, changed, 'listing');
      this.followLinks(
        folder,
        changed.map((name) => ({ name, type: listing.get(name) ?? 'other' })),
      );
    });
    return watched.relisting;
  }

  /**
   * Something says `folder` may no longer be the folder watched (`certain`: its watch says so):
   * when it is, the change is logged, the watch dropped and the user told.
   */
  private async confirm(folder: string, certain: boolean): Promise<void> {
    const watched = this.folders.get(folder);
    const guard = this.guards.get(folder);
    const stats = await statOf(folder, watched?.follow ?? true);
    const now = stats?.isDirectory() ? stats.ino : undefined;
    const was = watched?.ino ?? guard?.ino;
    if (this.folders.get(folder) !== watched) return;
    if (!certain && now === was) return;
    if (guard) guard.ino = now;
    const change = now === undefined ? 'removed' : was === undefined ? 'created' : 'replaced';
    this.options.log[guard ? 'info' : 'debug']('watched folder changed', { folder, change });
    this.lost(folder, false);
  }

  private lost(folder: string, failed: boolean): void {
    this.drop(folder);
    if (failed && this.guards.has(folder)) this.guards.get(folder)!.ino = undefined;
    this.options.replaced(folder);
  }

  private followLinks(folder: string, entries: readonly ListedEntry[]): void {
    const follows = this.options.followLink;
    if (!follows) return;
    for (const { name, type } of entries) {
      // With no link followed, an entry that is no link needs no look (a folder of 10,000 files).
      if (type !== 'link' && this.links.size === 0) continue;
      const entry = path.join(folder, name);
      if (type === 'link' && follows(entry)) void this.links.follow(entry);
      else this.links.unfollow(entry);
    }
  }
}
