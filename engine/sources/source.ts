import type { Logger } from '../core/log.js';
import type { DeviceEvent } from '../core/device-event.js';
import type { Facts } from '../core/facts.js';

/** What a running source is given. */
export interface SourceContext {
  emit(event: DeviceEvent): void;
  log: Logger;
}

/** A device present now, as a source reports it: its key, the source kind, its facts. */
export interface PresentDevice {
  key: string;
  source: string;
  facts: Facts;
}

/** How a source is doing, for the status server. */
export interface SourceStatus {
  kind: string;
  /** How it learns of changes, e.g. `inotify`, `libusb-hotplug`, `polling`, `idle`. */
  mode: string;
  /** Whether the devices present at start-up have all been reported. */
  ready: boolean;
  /** Whether the source will look again shortly on its own (a change is settling). */
  settling?: boolean;
  detail?: string;
}

/**
 * A device source. `start` reports every device already present (coldplug) through the same
 * path as later ones and resolves once it has; `stop` releases everything it holds.
 */
export interface Source {
  readonly kind: string;
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  status(): SourceStatus;
  /**
   * Another source reported a device. A source whose devices follow another's (ttys come a
   * moment after their USB device, and go with it) looks again.
   */
  otherSourceReported?(event: DeviceEvent): void;
  /**
   * The profiles changed: this source's `detect.<kind>` block of each profile now loaded. A
   * source that watches what profiles name follows them, and resolves once what it found is reported.
   */
  profilesChanged?(blocks: readonly unknown[]): Promise<void>;
}
