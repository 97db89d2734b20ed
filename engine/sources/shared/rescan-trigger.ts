import { watch, type FSWatcher } from 'node:fs';
import { DEFAULT_RESYNC_MS } from '../../core/folder-watch.js';

/**
 * When the sysfs-reading sources (usb, serial) look again after a change: a USB device's
 * interfaces and drivers, and its ttys once a driver is bound, arrive a moment after the device.
 */
export const SETTLE_DELAYS_MS: readonly number[] = [250, 1000, 3000];

/**
 * How long a device losing part of what it had is not believed: an unplug takes a device's nodes,
 * interfaces, attributes and udev links away before the device itself (and a simulated sysfs
 * deletes a device's files one by one); a later look sees it whole or gone.
 */
export const LOSS_WAIT_MS = 1000;

/** The config option of the sysfs-reading sources' resync interval (see `RescanTrigger.resyncEvery`). */
export const sysfsResyncMsSchema = {
  type: 'integer',
  minimum: 1000,
  default: DEFAULT_RESYNC_MS,
  description:
    'How often sysfs is read again and the inotify watches renewed while changes are watched for (every mode but polling), to repair what inotify or a hotplug notification lost: the longest a lost event stays unseen.',
} as const;

/**
 * Shared by the sysfs-reading sources (usb, serial): whatever hints at a change (an inotify
 * event, a hotplug callback, a nudge) only asks for a rescan; requests within `debounceMs` make
 * one rescan, and after a change `settle` looks again a few times, for what the kernel adds a
 * moment later.
 */
export class RescanTrigger {
  private timer: NodeJS.Timeout | undefined;
  private settleTimers: NodeJS.Timeout[] = [];
  private readonly watchers = new Map<string, { watcher: FSWatcher; also: () => void }>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly rescan: () => void,
    private readonly debounceMs: number,
    private readonly settleDelaysMs: readonly number[],
  ) {}

  /** Asks for one rescan soon; requests until it runs are folded into it. */
  schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.rescan();
    }, this.debounceMs);
  }

  /** Rescans again at each settle delay from now (replacing the settle in progress). */
  settle(): void {
    if (this.stopped) return;
    for (const timer of this.settleTimers) clearTimeout(timer);
    this.settleTimers = this.settleDelaysMs.map((delay) => {
      const timer = setTimeout(() => {
        this.settleTimers = this.settleTimers.filter((item) => item !== timer);
        this.rescan();
      }, delay);
      timer.unref();
      return timer;
    });
  }

  /**
   * Whether a rescan is still to come (one asked for, or a settle look): while it is, what the
   * source reports may still change without any new event. Tests wait for this to be false
   * rather than for some time to pass.
   */
  get pending(): boolean {
    return !this.stopped && (this.timer !== undefined || this.settleTimers.length > 0);
  }

  /**
   * Schedules a rescan on every change in `folder` (and calls `also`); false if it cannot be
   * watched. A folder watched already is watched anew: the new watch is made before the old one
   * is closed, so that a folder still the same keeps its inotify watch (the kernel gives both the
   * same one) and loses no event queued meanwhile.
   */
  watch(folder: string, also: () => void = () => undefined): boolean {
    const previous = this.watchers.get(folder);
    const watcher = this.watcherOf(folder, also);
    if (watcher) this.watchers.set(folder, { watcher, also });
    else this.watchers.delete(folder);
    previous?.watcher.close();
    return watcher !== undefined;
  }

  unwatch(folder: string): void {
    this.watchers.get(folder)?.watcher.close();
    this.watchers.delete(folder);
  }

  /**
   * Every `intervalMs`, watches each folder again and asks `look` whether to rescan, so that
   * nothing inotify or a hotplug notification lost stays unseen longer: a queue overflow (the
   * kernel drops events without a word reaching the engine), a folder removed and made again (its
   * watch stays on the old one: /dev/serial/by-id goes with the last serial device). A folder that
   * cannot be watched any more is dropped; `look` watches what is there now (new USB buses, a link
   * folder made again) and says whether anything differs from the last rescan, in a cheaper look
   * than the rescan itself.
   */
  resyncEvery(intervalMs: number, look: () => boolean): void {
    clearInterval(this.resyncTimer);
    this.resyncTimer = setInterval(() => {
      for (const [folder, { also }] of [...this.watchers]) this.watch(folder, also);
      if (look()) this.schedule();
    }, intervalMs);
    this.resyncTimer.unref();
  }

  private watcherOf(folder: string, also: () => void): FSWatcher | undefined {
    try {
      const watcher = watch(folder, { persistent: false }, () => {
        also();
        this.schedule();
      });
      watcher.on('error', () => {
        if (this.watchers.get(folder)?.watcher === watcher) this.unwatch(folder);
      });
      return watcher;
    } catch {
      return undefined;
    }
  }

  watched(): string[] {
    return [...this.watchers.keys()];
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.resyncTimer);
    for (const timer of this.settleTimers) clearTimeout(timer);
    for (const folder of this.watched()) this.unwatch(folder);
  }
}
