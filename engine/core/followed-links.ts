import { watch, type FSWatcher } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** Where a followed link leads, and what its target looked like when last seen. */
interface FollowedLink {
  target: string;
  /** The target's inode, size and modification time: a change the resync can see without an event. */
  signature: string;
}

/** A watch on a folder holding link targets, and the links whose targets it holds. */
interface TargetFolder {
  watcher: FSWatcher | undefined;
  links: Set<string>;
}

const signatureOf = (target: string) =>
  stat(target).then(
    (stats) => (stats.isFile() ? `${stats.ino}:${stats.size}:${stats.mtimeMs}` : undefined),
    () => undefined,
  );

/**
 * Links to files, followed for their targets' changes: editing the file a link leads to changes
 * what reading the link gives, but inotify reports it only in the target's folder. One watch per
 * folder that holds targets, shared by every link into it. An event on a target reports each link
 * to it, and the link is resolved again (a Kubernetes ConfigMap swaps the folder its files lead to).
 */
export class FollowedLinks {
  private readonly links = new Map<string, FollowedLink>();
  private readonly folders = new Map<string, TargetFolder>();

  constructor(
    private readonly persistent: boolean,
    /** The file a followed link leads to changed, or the link now leads elsewhere. */
    private readonly changed: (link: string) => void,
  ) {}

  /**
   * Follows `link` when it leads to a file (and stops following it otherwise); resolves whether
   * where it leads or what it leads to changed since it was last followed.
   */
  async follow(link: string): Promise<boolean> {
    const isLink = await lstat(link).then(
      (stats) => stats.isSymbolicLink(),
      () => false,
    );
    const target = isLink ? await realpath(link).catch(() => undefined) : undefined;
    const signature = target === undefined ? undefined : await signatureOf(target);
    if (target === undefined || signature === undefined) return this.unfollow(link);
    const known = this.links.get(link);
    if (known?.target === target) {
      known.signature = signature;
      return false;
    }
    this.unfollow(link);
    this.links.set(link, { target, signature });
    const folder = path.dirname(target);
    let holder = this.folders.get(folder);
    if (!holder) {
      holder = { watcher: this.watchFolder(folder), links: new Set() };
      this.folders.set(folder, holder);
    }
    holder.links.add(link);
    return known !== undefined;
  }

  /** How many links are followed. */
  get size(): number {
    return this.links.size;
  }

  /** Stops following `link`; resolves whether it was followed. */
  unfollow(link: string): boolean {
    const known = this.links.get(link);
    if (!known) return false;
    this.links.delete(link);
    const folder = path.dirname(known.target);
    const holder = this.folders.get(folder);
    holder?.links.delete(link);
    if (holder && holder.links.size === 0) {
      holder.watcher?.close();
      this.folders.delete(folder);
    }
    return true;
  }

  /** Stops following every link under `folder` (a watched folder that went away). */
  unfollowBelow(folder: string): void {
    for (const link of [...this.links.keys()]) if (link.startsWith(`${folder}/`)) this.unfollow(link);
  }

  /** Looks at every target once (a `stat` each): reports those that changed without an event seen. */
  async resync(): Promise<void> {
    await Promise.all(
      [...this.links].map(async ([link, known]) => {
        const signature = await signatureOf(known.target);
        if (signature === known.signature && this.links.get(link) === known) return;
        await this.follow(link);
        this.changed(link);
      }),
    );
  }

  close(): void {
    for (const { watcher } of this.folders.values()) watcher?.close();
    this.folders.clear();
    this.links.clear();
  }

  private watchFolder(folder: string): FSWatcher | undefined {
    try {
      const watcher = watch(folder, { persistent: this.persistent }, (_event, name) => this.targetEvent(folder, name));
      // A target folder that cannot be watched is still looked at by the resync.
      watcher.on('error', () => watcher.close());
      return watcher;
    } catch {
      return undefined;
    }
  }

  private targetEvent(folder: string, name: string | null): void {
    const holder = this.folders.get(folder);
    if (!holder) return;
    const target = path.join(folder, String(name));
    for (const link of [...holder.links]) {
      if (this.links.get(link)?.target !== target) continue;
      this.changed(link);
      void this.follow(link);
    }
  }
}
