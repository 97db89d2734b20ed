import type { Facts } from '../core/facts.js';
import type { DeviceEvent } from '../core/device-event.js';

/** A device that is present now. */
export interface Device {
  key: string;
  source: string;
  facts: Facts;
  /** When it was first seen (ISO 8601). */
  since: string;
}

/**
 * The devices present now, as the sources reported them. It keeps the facts seen while a device
 * was present, because when it goes, sysfs has already forgotten them.
 */
export class Inventory {
  private readonly present = new Map<string, Device>();

  /** Applies one event; returns whether the set of devices or their facts changed. */
  apply(event: DeviceEvent, now: Date = new Date()): boolean {
    const known = this.present.get(event.key);
    if (event.action === 'remove') return this.present.delete(event.key);
    if (known && JSON.stringify(known.facts) === JSON.stringify(event.facts)) return false;
    this.present.set(event.key, {
      key: event.key,
      source: event.source,
      facts: event.facts,
      since: known?.since ?? now.toISOString(),
    });
    return true;
  }

  devices(): Device[] {
    return [...this.present.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  get size(): number {
    return this.present.size;
  }
}
