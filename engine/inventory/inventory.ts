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
  /**
   * The same devices in key order, kept in order as events come: sorting them all per event made
   * a burst of a thousand devices cost the square of them.
   */
  private readonly sorted: Device[] = [];

  /** Applies one event; returns whether the set of devices or their facts changed. */
  apply(event: DeviceEvent, now: Date = new Date()): boolean {
    const known = this.present.get(event.key);
    if (event.action === 'remove') {
      if (!known) return false;
      this.present.delete(event.key);
      this.sorted.splice(this.positionOf(event.key), 1);
      return true;
    }
    if (known && JSON.stringify(known.facts) === JSON.stringify(event.facts)) return false;
    const device = {
      key: event.key,
      source: event.source,
      facts: event.facts,
      since: known?.since ?? now.toISOString(),
    };
    this.present.set(event.key, device);
    const at = this.positionOf(event.key);
    this.sorted.splice(at, known ? 1 : 0, device);
    return true;
  }

  /** The devices present, in key order (a copy: the caller may keep it while events come). */
  devices(): Device[] {
    return this.sorted.slice();
  }

  get size(): number {
    return this.present.size;
  }

  /** Where `key` is in `sorted`, or would go. */
  private positionOf(key: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.sorted[middle]!.key.localeCompare(key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
