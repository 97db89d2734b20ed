import path from 'node:path';
import { RescanTrigger, SETTLE_DELAYS_MS } from '../shared/rescan-trigger.js';
import type { DeviceEvent } from '../../core/device-event.js';
import type { Source, SourceContext, SourceStatus } from '../source.js';
import {
  enumerateSerialPorts,
  serialDevice,
  SYSTEM_FOLDERS,
  type SerialPortFacts,
  type SerialSysfsFolders,
} from './serial-sysfs.js';
import { pathExists } from '../shared/sysfs.js';
import { systemUsbIds } from '../usb/usb-ids.js';

/** How the serial source learns that ttys changed. */
export type SerialMode = 'auto' | 'polling';

export interface SerialSourceOptions {
  mode: SerialMode;
  pollIntervalMs: number;
  debounceMs: number;
  folders: SerialSysfsFolders;
}

export const DEFAULT_SERIAL_OPTIONS: SerialSourceOptions = {
  mode: 'auto',
  pollIntervalMs: 5000,
  debounceMs: 30,
  folders: SYSTEM_FOLDERS,
};

const sameFacts = (a: SerialPortFacts, b: SerialPortFacts) => JSON.stringify(a) === JSON.stringify(b);

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

  private rescan(): void {
    if (this.stopped) return;
    let now: Map<string, SerialPortFacts>;
    try {
      now = enumerateSerialPorts(this.options.folders, (vendorId, productId) =>
        systemUsbIds.names(vendorId, productId, this.context.log),
      );
    } catch (error) {
      this.context.log.warn('serial enumeration failed', { error: (error as Error).message });
      return;
    }
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
