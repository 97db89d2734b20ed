import type { Logger } from '../core/log.js';
import type { DeviceEvent } from '../core/device-event.js';

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
