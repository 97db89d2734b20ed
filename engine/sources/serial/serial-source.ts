import path from 'node:path';
import { DEFAULT_RESYNC_MS } from '../../core/folder-watch.js';
import { LOSS_WAIT_MS, RescanTrigger, SETTLE_DELAYS_MS } from '../shared/rescan-trigger.js';
import type { DeviceEvent } from '../../core/device-event.js';
import type { Source, SourceContext, SourceStatus } from '../source.js';
import {
  enumerateSerialPorts,
  serialDevice,
  SYSTEM_FOLDERS,
  type SerialPortFacts,
  type SerialSysfsFolders,
} from './serial-sysfs.js';
import { listNames, pathExists } from '../shared/sysfs.js';
import { systemUsbIds } from '../usb/usb-ids.js';
import { losesParts as usbLosesParts } from '../usb/usb-sysfs.js';

/** How the serial source learns that ttys changed. */
export type SerialMode = 'auto' | 'polling';

export interface SerialSourceOptions {
  mode: SerialMode;
  pollIntervalMs: number;
  /** How often sysfs is read again and the watches renewed, in the auto mode. */
  resyncMs: number;
  debounceMs: number;
  folders: SerialSysfsFolders;
  /** How long a port losing part of what it had is not believed (not in the config file; tests change it). */
  lossWaitMs?: number;
}

export const DEFAULT_SERIAL_OPTIONS: SerialSourceOptions = {
  mode: 'auto',
  pollIntervalMs: 5000,
  resyncMs: DEFAULT_RESYNC_MS,
  debounceMs: 30,
  folders: SYSTEM_FOLDERS,
};

const sameFacts = (a: SerialPortFacts, b: SerialPortFacts) => JSON.stringify(a) === JSON.stringify(b);

/** The facts a port can lose on its way out: udev's links, its drivers, its interface's string. */
const LOSABLE = ['byId', 'byPath', 'driver', 'usbDriver', 'interfaceName'] as const;

/** Whether `now` lacks a link, driver or string that `known` had, or a part of its USB parent. */
function losesParts(known: SerialPortFacts, now: SerialPortFacts): boolean {
  return (
    LOSABLE.some((field) => known.serial[field] !== null && now.serial[field] === null) ||
    (known.usb !== undefined && now.usb !== undefined && usbLosesParts(known.usb, now.usb))
  );
}

/**
 * Serial ports from /sys/class/tty, each with its USB parent's facts. Like the USB source, any
 * trigger (inotify on /dev and /dev/serial/*, a nudge from the USB source, or a poll) only causes
 * a re-enumeration diffed against the last one, so start-up ports and later ones share one path.
 */
export class SerialSource implements Source {
  readonly kind = 'serial';
  private readonly options: SerialSourceOptions;
  private present = new Map<string, SerialPortFacts>();
  private mode = 'starting';
  private ready = false;
  private poller: NodeJS.Timeout | undefined;
  private readonly trigger: RescanTrigger;
  private readonly lossSince = new Map<string, number>();
  /** The outline at the last rescan (see `outline`). */
  private lastOutline = '';
  private stopped = false;

  constructor(
    private readonly context: SourceContext,
    options: Partial<SerialSourceOptions> = {},
  ) {
    this.options = { ...DEFAULT_SERIAL_OPTIONS, ...options };
    this.trigger = new RescanTrigger(() => this.rescan(), this.options.debounceMs, SETTLE_DELAYS_MS);
  }

  async start(_signal?: AbortSignal): Promise<void> {
    const { folders } = this.options;
    if (!pathExists(folders.ttyClass)) {
      this.mode = 'idle';
      this.ready = true;
      this.context.log.warn('no /sys/class/tty on this host: the serial source stays idle', {
        folder: folders.ttyClass,
      });
      return;
    }
    this.rescan();
    this.ready = true;
    if (this.options.mode === 'auto' && this.trigger.watch(folders.dev)) {
      this.mode = 'inotify';
      this.watchLinkFolders();
      this.trigger.resyncEvery(this.options.resyncMs, () => {
        if (!this.trigger.watched().includes(folders.dev)) this.trigger.watch(folders.dev);
        this.watchLinkFolders();
        return this.outline() !== this.lastOutline;
      });
    } else this.startPolling();
    this.context.log.info('serial source started', { mode: this.mode, ports: this.present.size });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poller);
    this.trigger.stop();
  }

  status(): SourceStatus {
    return {
      kind: this.kind,
      mode: this.mode,
      ready: this.ready,
      settling: this.trigger.pending,
      detail: `${this.present.size} ports`,
    };
  }

  /** A USB device came, changed or went: its ttys may come or go in the next moments. */
  otherSourceReported(event: DeviceEvent): void {
    if (event.source === 'usb') this.nudge();
  }

  /** Something happened on USB: its ttys may come or go in the next moments. */
  private nudge(): void {
    if (this.stopped || !this.ready || this.mode === 'idle') return;
    this.trigger.schedule();
    this.trigger.settle();
  }

  private startPolling(): void {
    this.mode = 'polling';
    this.poller = setInterval(() => this.rescan(), this.options.pollIntervalMs);
    this.poller.unref();
  }

  /** udev's by-id and by-path links come a moment after the node; watch their folders too. */
  private watchLinkFolders(): void {
    const { serialLinks } = this.options.folders;
    for (const folder of [serialLinks, path.join(serialLinks, 'by-id'), path.join(serialLinks, 'by-path')]) {
      if (!this.trigger.watched().includes(folder) && pathExists(folder)) this.trigger.watch(folder);
    }
  }

  /**
   * A port losing part of what it had keeps what was seen until a look LOSS_WAIT_MS later still
   * sees it so: an unplug takes udev's links and the USB parent's parts away before the tty, and
   * a change reported on the way out would probe the port again as it goes (failing, since its
   * node is gone) and withdraw its registration instead of holding it.
   */
  private holdBackLosses(now: Map<string, SerialPortFacts>): void {
    const seen = Date.now();
    for (const key of this.lossSince.keys()) if (!now.has(key)) this.lossSince.delete(key);
    for (const [key, port] of now) {
      const known = this.present.get(key);
      if (!known || !losesParts(known, port)) {
        this.lossSince.delete(key);
        continue;
      }
      const since = this.lossSince.get(key) ?? seen;
      this.lossSince.set(key, since);
      if (seen - since >= (this.options.lossWaitMs ?? LOSS_WAIT_MS)) continue;
      now.set(key, known);
      this.trigger.settle();
    }
  }

  /**
   * What a resync compares with the last rescan, in folder listings: the ttys in sysfs and udev's
   * links to them. A port that came or went without an event reaching the engine changes it; a
   * rescan reads every port's attributes and its USB parent's.
   */
  private outline(): string {
    const { ttyClass, serialLinks } = this.options.folders;
    return [ttyClass, path.join(serialLinks, 'by-id'), path.join(serialLinks, 'by-path')]
      .map((folder) => listNames(folder).join('/'))
      .join('\n');
  }

  private rescan(): void {
    if (this.stopped) return;
    this.lastOutline = this.outline();
    let now: Map<string, SerialPortFacts>;
    try {
      now = enumerateSerialPorts(this.options.folders, (vendorId, productId) =>
        systemUsbIds.names(vendorId, productId, this.context.log),
      );
    } catch (error) {
      this.context.log.warn('serial enumeration failed', { error: (error as Error).message });
      return;
    }
    this.holdBackLosses(now);
    let changed = false;
    const emit = (action: 'add' | 'change' | 'remove', port: SerialPortFacts) => {
      changed = true;
      this.context.emit({ action, ...serialDevice(port) });
    };
    for (const [key, port] of this.present) if (!now.has(key)) emit('remove', port);
    for (const [key, port] of now) {
      const known = this.present.get(key);
      if (!known) emit('add', port);
      else if (!sameFacts(known, port)) emit('change', port);
    }
    this.present = now;
    if (this.mode === 'inotify') this.watchLinkFolders();
    if (changed) this.trigger.settle();
  }
}
