import { watch, type FSWatcher } from 'node:fs';

/**
 * When the sysfs-reading sources (usb, serial) look again after a change: a USB device's
 * interfaces and drivers, and its ttys once a driver is bound, arrive a moment after the device.
 */
export const SETTLE_DELAYS_MS: readonly number[] = [250, 1000, 3000];

/**
 * Shared by the sysfs-reading sources (usb, serial): whatever hints at a change (an inotify
 * event, a hotplug callback, a nudge) only asks for a rescan; requests within `debounceMs` make
 * one rescan, and after a change `settle` looks again a few times, for what the kernel adds a
 * moment later.
 */
export class RescanTrigger {
  private timer: NodeJS.Timeout | undefined;
  private settleTimers: NodeJS.Timeout[] = [];
  private readonly watchers = new Map<string, FSWatcher>();
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

  /** Schedules a rescan on every change in `folder` (and calls `also`); false if it cannot be watched. */
  watch(folder: string, also: () => void = () => undefined): boolean {
    try {
      const watcher = watch(folder, { persistent: false }, () => {
        also();
        this.schedule();
      });
      watcher.on('error', () => this.unwatch(folder));
      this.watchers.set(folder, watcher);
      return true;
    } catch {
      return false;
    }
  }

  unwatch(folder: string): void {
    this.watchers.get(folder)?.close();
    this.watchers.delete(folder);
  }

  watched(): string[] {
    return [...this.watchers.keys()];
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const timer of this.settleTimers) clearTimeout(timer);
    for (const folder of this.watched()) this.unwatch(folder);
  }
}
