import type { DeviceEvent } from '../../core/device-event.js';
import type { Logger } from '../../core/log.js';
import { RateLimitedWarning } from '../../core/rate-limited-warning.js';
import type { PresentDevice } from '../source.js';
import type { Announcement, NetworkProtocol } from './discovery.js';

/** The shortest and longest freshness an announcement is taken at, whatever it says. */
export const FRESH_BOUNDS_MS = { min: 1_000, max: 24 * 3600_000 } as const;
/**
 * When the protocol is asked again before an announcement goes stale, as fractions of its
 * freshness (as RFC 6762 section 5.2 refreshes a record at 80, 85, 90 and 95 % of its TTL).
 */
const REFRESH_AT = [0.8, 0.85, 0.9, 0.95] as const;

/** The key of a peripheral: `network:<protocol>:<id>`. */
export const networkKey = (protocol: NetworkProtocol, id: string) => `network:${protocol}:${id}`;

/** A peripheral as the network source reports it: its key and its `network.*` facts. */
export function networkDevice(announcement: Announcement): PresentDevice {
  const { protocol, id, addresses, host, port, facts } = announcement;
  return {
    key: networkKey(protocol, id),
    source: 'network',
    facts: {
      network: { protocol, id, addresses: [...addresses], host: host ?? null, port: port ?? null, [protocol]: facts },
    },
  };
}

interface Presence {
  device: PresentDevice;
  protocol: NetworkProtocol;
  timers: NodeJS.Timeout[];
}

/**
 * The peripherals heard and still fresh. Each is present from the first announcement until its
 * freshness runs out with no new one, or its protocol says it left; before it runs out the
 * protocol is asked again (`refresh`), so a peripheral that still answers stays. At most
 * `maxDevices` are held: a flood of made-up peripherals cannot grow memory or the backends.
 */
export class NetworkPresence {
  private readonly present = new Map<string, Presence>();
  private readonly full: RateLimitedWarning;

  constructor(
    private readonly emit: (event: DeviceEvent) => void,
    private readonly refresh: (protocol: NetworkProtocol) => void,
    log: Logger,
    private readonly maxDevices: number,
  ) {
    this.full = new RateLimitedWarning(log, 'too many network peripherals; new ones are ignored', undefined);
  }

  get size(): number {
    return this.present.size;
  }

  heard(announcement: Announcement): void {
    const device = networkDevice(announcement);
    const known = this.present.get(device.key);
    if (!known && this.present.size >= this.maxDevices) {
      this.full.failed({ maxDevices: this.maxDevices, key: device.key });
      return;
    }
    const freshMs = Math.min(Math.max(announcement.freshMs, FRESH_BOUNDS_MS.min), FRESH_BOUNDS_MS.max);
    const presence: Presence = { device, protocol: announcement.protocol, timers: [] };
    if (known) for (const timer of known.timers) clearTimeout(timer);
    presence.timers = [
      ...REFRESH_AT.map((share) => setTimeout(() => this.refresh(presence.protocol), freshMs * share)),
      setTimeout(() => this.remove(device.key), freshMs),
    ];
    for (const timer of presence.timers) timer.unref();
    this.present.set(device.key, presence);
    if (!known) this.emit({ action: 'add', ...device });
    else if (JSON.stringify(known.device.facts) !== JSON.stringify(device.facts))
      this.emit({ action: 'change', ...device });
  }

  left(protocol: NetworkProtocol, id: string): void {
    this.remove(networkKey(protocol, id));
  }

  /** Removes every peripheral of a protocol (no profile asks for it any more). */
  forget(protocol: NetworkProtocol): void {
    for (const [key, presence] of this.present) if (presence.protocol === protocol) this.remove(key);
  }

  /**
   * One address of each peripheral present that another protocol than `except` heard, the first
   * that `usable` accepts: the hosts a TCP probe may confirm. One per peripheral, and never the
   * probe's own finds, so that one device is not probed (and registered) under two addresses.
   */
  hostsHeard(except: NetworkProtocol, usable: (address: string) => boolean): string[] {
    const hosts = new Set<string>();
    for (const { device, protocol } of this.present.values()) {
      if (protocol === except) continue;
      const address = device.facts.network!.addresses.find(usable);
      if (address !== undefined) hosts.add(address);
    }
    return [...hosts];
  }

  devices(): PresentDevice[] {
    return [...this.present.values()].map((presence) => presence.device);
  }

  /** Stops every timer; nothing is reported removed (the source is stopping). */
  clear(): void {
    for (const presence of this.present.values()) for (const timer of presence.timers) clearTimeout(timer);
    this.present.clear();
  }

  private remove(key: string): void {
    const presence = this.present.get(key);
    if (!presence) return;
    for (const timer of presence.timers) clearTimeout(timer);
    this.present.delete(key);
    this.emit({ action: 'remove', ...presence.device });
  }
}
