import { createRequire } from 'node:module';
import path from 'node:path';
import type { DeviceEvent } from '../../core/device-event.js';
import { DEFAULT_RESYNC_MS } from '../../core/folder-watch.js';
import type { Logger } from '../../core/log.js';
import { LOSS_WAIT_MS, RescanTrigger, SETTLE_DELAYS_MS } from '../shared/rescan-trigger.js';
import type { Source, SourceContext, SourceStatus } from '../source.js';
import { listNames, pathExists } from '../shared/sysfs.js';
import { systemUsbIds } from './usb-ids.js';
import {
  enumerateUsbDevices,
  interfacesComplete,
  losesParts,
  USB_DEVICES,
  usbDevice,
  type UsbFacts,
} from './usb-sysfs.js';

/** How the USB source learns that devices changed. */
export type UsbMode = 'auto' | 'libusb' | 'inotify' | 'polling';

export interface UsbSourceOptions {
  mode: UsbMode;
  pollIntervalMs: number;
  /** How often sysfs is read again and the watches renewed, in every mode but polling. */
  resyncMs: number;
  /** Events within this window cause one re-enumeration. */
  debounceMs: number;
  /** When to look again after a change (not in the config file; tests shorten it). */
  settleDelaysMs?: readonly number[];
  devicesFolder?: string;
  devFolder?: string;
  /** Where device nodes appear (/dev): a camera's video node or a modem's cdc-wdm comes after its device. */
  nodesFolder?: string;
}

export const DEFAULT_USB_OPTIONS: UsbSourceOptions = {
  mode: 'auto',
  pollIntervalMs: 5000,
  resyncMs: DEFAULT_RESYNC_MS,
  debounceMs: 30,
};

/** The part of the `usb` package (2.x, libusb) the source uses: hotplug notifications. */
interface LibusbEvents {
  on(event: 'attach' | 'detach', listener: () => void): void;
  removeListener(event: 'attach' | 'detach', listener: () => void): void;
  unrefHotplugEvents?(): void;
}

function loadLibusb(log: Logger): LibusbEvents | undefined {
  try {
    const required = createRequire(import.meta.url)('usb') as { usb: LibusbEvents };
    return required.usb;
  } catch (error) {
    log.warn('libusb could not be loaded; USB hotplug comes from inotify or polling', {
      error: (error as Error).message,
    });
    return undefined;
  }
}

const sameFacts = (a: UsbFacts, b: UsbFacts) => JSON.stringify(a) === JSON.stringify(b);

/** How long a new device with fewer interfaces than it declares is held back. */
const INCOMPLETE_WAIT_MS = 2500;

/** How long a device half removed is looked at again, for the end of its removal. */
const UNPLUG_LOOK_MS = 10_000;

/**
 * USB devices from sysfs. Whatever tells it something changed (libusb hotplug, inotify on
 * /dev/bus/usb, or a poll as the last resort) only triggers a re-enumeration, which is diffed
 * against the last one: devices present at start-up and later ones go through the same path,
 * and a device's facts at removal are the ones seen while it was present.
 */
export class UsbSource implements Source {
  readonly kind = 'usb';
  private readonly options: UsbSourceOptions;
  private present = new Map<string, UsbFacts>();
  private mode: string = 'starting';
  private ready = false;
  private poller: NodeJS.Timeout | undefined;
  private readonly trigger: RescanTrigger;
  private readonly incompleteSince = new Map<string, number>();
  private readonly lossSince = new Map<string, number>();
  private libusb: LibusbEvents | undefined;
  private readonly onHotplug = () => this.trigger.schedule();
  /** The outline at the last rescan (see `outline`). */
  private lastOutline = '';
  private stopped = false;

  constructor(
    private readonly context: SourceContext,
    options: Partial<UsbSourceOptions> = {},
  ) {
    this.options = { ...DEFAULT_USB_OPTIONS, ...options };
    this.trigger = new RescanTrigger(
      () => this.rescan(),
      this.options.debounceMs,
      this.options.settleDelaysMs ?? SETTLE_DELAYS_MS,
    );
  }

  private get devicesFolder(): string {
    return this.options.devicesFolder ?? USB_DEVICES;
  }

  private get nodesFolder(): string {
    return this.options.nodesFolder ?? '/dev';
  }

  private get devFolder(): string {
    return this.options.devFolder ?? '/dev/bus/usb';
  }

  async start(_signal?: AbortSignal): Promise<void> {
    if (!pathExists(this.devicesFolder)) {
      this.mode = 'idle';
      this.ready = true;
      this.context.log.warn('no USB bus on this host: the USB source stays idle', { folder: this.devicesFolder });
      return;
    }
    this.rescan();
    this.ready = true;
    this.startTriggers();
    this.context.log.info('USB source started', { mode: this.mode, devices: this.present.size });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poller);
    this.trigger.stop();
    if (this.libusb) {
      this.libusb.removeListener('attach', this.onHotplug);
      this.libusb.removeListener('detach', this.onHotplug);
    }
  }

  status(): SourceStatus {
    return {
      kind: this.kind,
      mode: this.mode,
      ready: this.ready,
      settling: this.trigger.pending,
      detail: `${this.present.size} devices`,
    };
  }

  /**
   * A tty of a USB device came or went: it is one of the device's nodes, and the drivers that
   * bind late often bind together, so look again.
   */
  otherSourceReported(event: DeviceEvent): void {
    if (event.source !== 'serial' || this.stopped || !this.ready || this.mode === 'idle') return;
    this.trigger.schedule();
  }

  private startTriggers(): void {
    const { mode } = this.options;
    if (mode === 'auto' || mode === 'libusb') {
      this.libusb = loadLibusb(this.context.log);
      if (this.libusb) {
        this.libusb.on('attach', this.onHotplug);
        this.libusb.on('detach', this.onHotplug);
        this.libusb.unrefHotplugEvents?.();
      }
    }
    const watching = mode !== 'libusb' && mode !== 'polling' && this.watchDev();
    if (this.libusb && mode !== 'inotify') this.mode = watching ? 'libusb-hotplug+inotify' : 'libusb-hotplug';
    else if (watching) this.mode = 'inotify';
    else return this.startPolling();
    this.trigger.resyncEvery(this.options.resyncMs, () => {
      if (watching && !this.trigger.watched().includes(this.devFolder)) this.watchDev();
      else if (watching) this.syncBusWatchers();
      return this.outline() !== this.lastOutline;
    });
  }

  /**
   * What a resync compares with the last rescan, in two folder listings: the devices and
   * interfaces in sysfs, and the device nodes. A device or node that came or went without an
   * event reaching the engine changes it; a rescan reads every device's attributes.
   */
  private outline(): string {
    return `${listNames(this.devicesFolder).join('/')}\n${listNames(this.nodesFolder).join('/')}`;
  }

  private startPolling(): void {
    this.mode = 'polling';
    this.poller = setInterval(() => this.rescan(), this.options.pollIntervalMs);
    this.poller.unref();
    this.context.log.warn('neither libusb hotplug nor inotify on /dev/bus/usb is available: polling', {
      intervalMs: this.options.pollIntervalMs,
    });
  }

  /** Watches /dev/bus/usb and each bus folder in it; false when there is nothing to watch. */
  private watchDev(): boolean {
    if (!this.trigger.watch(this.devFolder, () => this.syncBusWatchers())) return false;
    this.syncBusWatchers();
    // Nodes that appear after their device (drivers bind late) change its facts; the settle
    // looks after a change catch most, this catches the later ones.
    this.trigger.watch(this.nodesFolder);
    // What changed before the watches were made.
    this.trigger.schedule();
    return true;
  }

  private syncBusWatchers(): void {
    const buses = new Set(listNames(this.devFolder).map((name) => path.join(this.devFolder, name)));
    const kept = new Set([this.devFolder, this.nodesFolder]);
    for (const folder of this.trigger.watched())
      if (!kept.has(folder) && !buses.has(folder)) this.trigger.unwatch(folder);
    for (const bus of buses) if (!this.trigger.watched().includes(bus)) this.trigger.watch(bus);
  }

  /**
   * A newly seen device whose interfaces are still being created is left out of this
   * enumeration (the settle looks again), so that it is reported once, whole; after
   * INCOMPLETE_WAIT_MS it is reported as it is. Devices present at start-up are not waited for.
   */
  private holdBackIncomplete(now: Map<string, UsbFacts>): void {
    const seen = Date.now();
    for (const [port, facts] of now) {
      const known = this.present.get(port);
      // A known device losing interfaces it declares is being unplugged (the kernel removes the
      // interfaces first): keep what was seen rather than report a change on its way out. Its
      // removal usually brings the next look (the node under /dev/bus/usb going, a hotplug
      // event), but that event may have come already, while the folder was half gone: look
      // again for a while, so that the end of the removal is seen without another event.
      if (
        known &&
        (facts.interfaces?.length ?? 0) < (known.interfaces?.length ?? 0) &&
        !interfacesComplete(facts, this.devicesFolder)
      ) {
        now.set(port, known);
        const lostSince = this.lossSince.get(port) ?? seen;
        this.lossSince.set(port, lostSince);
        if (seen - lostSince < UNPLUG_LOOK_MS) this.trigger.settle();
        continue;
      }
      // Parts going while the device stays: an unplug under way (the device goes next) or a
      // driver unbound (its nodes go). Believed only when a later look still sees them gone.
      if (known && losesParts(known, facts)) {
        const lostSince = this.lossSince.get(port) ?? seen;
        this.lossSince.set(port, lostSince);
        if (seen - lostSince < LOSS_WAIT_MS) {
          now.set(port, known);
          this.trigger.settle();
          continue;
        }
      }
      this.lossSince.delete(port);
      if (known || !this.ready || interfacesComplete(facts, this.devicesFolder)) {
        this.incompleteSince.delete(port);
        continue;
      }
      const since = this.incompleteSince.get(port) ?? seen;
      this.incompleteSince.set(port, since);
      if (seen - since < INCOMPLETE_WAIT_MS) {
        now.delete(port);
        this.trigger.settle();
      }
    }
  }

  /** Enumerates, compares with the last enumeration, and reports the differences. */
  private rescan(): void {
    if (this.stopped) return;
    this.lastOutline = this.outline();
    let now: Map<string, UsbFacts>;
    try {
      now = enumerateUsbDevices(this.devicesFolder, (vendorId, productId) =>
        systemUsbIds.names(vendorId, productId, this.context.log),
      );
    } catch (error) {
      this.context.log.warn('USB enumeration failed', { error: (error as Error).message });
      return;
    }
    this.holdBackIncomplete(now);
    let changed = false;
    const emit = (action: 'add' | 'change' | 'remove', port: string, facts: UsbFacts) => {
      changed = true;
      this.context.emit({ action, ...usbDevice(port, facts) });
    };
    for (const [port, facts] of this.present) if (!now.has(port)) emit('remove', port, facts);
    for (const [port, facts] of now) {
      const known = this.present.get(port);
      if (!known) emit('add', port, facts);
      // Interfaces or drivers that came later, a replug between two enumerations (a new
      // address), or another device in the same port.
      else if (!sameFacts(known, facts)) emit('change', port, facts);
    }
    this.present = now;
    if (changed) this.trigger.settle();
  }
}
