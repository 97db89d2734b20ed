import type { Logger } from '../log.js';
import type { Facts } from '../map/facts.js';

/** What a source reports: a device appeared, changed or went. */
export interface DeviceEvent {
  action: 'add' | 'change' | 'remove';
  /** Stable for one physical device on one port (or one path). */
  key: string;
  /** The source kind that saw it: `usb`, `serial` or `file`. */
  source: string;
  /** What is known about it; at `remove`, the facts seen while it was present. */
  facts: Facts;
}

/** What a running source is given. */
export interface SourceContext {
  emit(event: DeviceEvent): void;
  log: Logger;
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
}
