import type { Facts } from './facts.js';

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
