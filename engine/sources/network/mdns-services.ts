import type { Announcement } from './discovery.js';
import type { DnsRecord } from './dns-message.js';
import { nameKey, nameText, serviceTypeName, type DnsName } from './dns-name.js';
import { txtFacts } from './mdns-txt.js';

/** The most service instances held at once (of the types profiles name); more are ignored. */
export const MAX_INSTANCES = 1024;
/** The most addresses held for one host. */
const MAX_HOST_ADDRESSES = 16;

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/** One service instance as its records say: PTR (it exists), SRV (host, port), TXT. */
interface Instance {
  name: DnsName;
  type: string;
  ptr: number;
  srv?: Expiring<{ port: number; target: DnsName }>;
  txt?: Expiring<Buffer[]>;
}

/** What one message changed: instances to report again (by key), instances that said goodbye (by id). */
export interface ServicesChange {
  changed: string[];
  left: string[];
}

/** The order records of one message are taken in: an instance exists before its SRV is read, a host before its address. */
const ORDER = { PTR: 0, SRV: 1, TXT: 2, A: 3, AAAA: 3, other: 4 } as const;

/**
 * The DNS-SD services of the named types, as the mDNS records heard build them (pure: the
 * time is given). Only instances a PTR of a named type points to are held, and only addresses
 * of hosts their SRV records name: what else is heard is dropped.
 */
export class MdnsServices {
  private types = new Map<string, string>();
  private readonly instances = new Map<string, Instance>();
  private readonly addresses = new Map<string, Map<string, number>>();

  constructor(types: readonly string[]) {
    this.setTypes(types);
  }

  /** Follows new types; gives the ids of the instances of types no longer named (now forgotten). */
  setTypes(types: readonly string[]): string[] {
    this.types = new Map(types.map((type) => [nameKey(serviceTypeName(type)), type]));
    const dropped: string[] = [];
    for (const [key, instance] of this.instances) {
      if (types.includes(instance.type)) continue;
      this.instances.delete(key);
      dropped.push(nameText(instance.name));
    }
    this.pruneHosts();
    return dropped;
  }

  apply(records: readonly DnsRecord[], now: number): ServicesChange {
    const changed = new Set<string>();
    const left = new Set<string>();
    const gone = (key: string) => {
      const instance = this.instances.get(key);
      if (!instance) return;
      this.instances.delete(key);
      left.add(nameText(instance.name));
      changed.delete(key);
    };
    const flushed = new Set<string>();
    const touchedHosts = new Set<string>();
    for (const record of [...records].sort((a, b) => ORDER[a.data.type] - ORDER[b.data.type])) {
      const expiresAt = now + record.ttl * 1000;
      const data = record.data;
      if (data.type === 'PTR') {
        const type = this.types.get(nameKey(record.name));
        if (type === undefined) continue;
        const key = nameKey(data.target);
        const known = this.instances.get(key);
        if (record.ttl === 0) {
          gone(key);
          continue;
        }
        if (!known && this.instances.size >= MAX_INSTANCES) continue;
        this.instances.set(key, { ...(known ?? { name: data.target, type }), ptr: expiresAt });
        changed.add(key);
        continue;
      }
      if (data.type === 'A' || data.type === 'AAAA') {
        const host = nameKey(record.name);
        const held = this.addresses.get(host);
        if (!held) continue;
        if (record.flush && !flushed.has(host)) {
          flushed.add(host);
          for (const [address, at] of held)
            if (address.includes(':') === (data.type === 'AAAA') && at < now + 1000) held.delete(address);
        }
        if (record.ttl === 0) held.delete(data.address);
        else if (held.has(data.address) || held.size < MAX_HOST_ADDRESSES) held.set(data.address, expiresAt);
        touchedHosts.add(host);
        continue;
      }
      const key = nameKey(record.name);
      const instance = this.instances.get(key);
      if (!instance) continue;
      if (data.type === 'SRV') {
        if (record.ttl === 0) {
          gone(key);
          continue;
        }
        instance.srv = { value: { port: data.port, target: data.target }, expiresAt };
        const host = nameKey(data.target);
        if (!this.addresses.has(host)) this.addresses.set(host, new Map());
        changed.add(key);
      } else if (data.type === 'TXT') {
        instance.txt = { value: data.strings, expiresAt };
        changed.add(key);
      }
    }
    for (const [key, instance] of this.instances)
      if (instance.srv && touchedHosts.has(nameKey(instance.srv.value.target))) changed.add(key);
    this.pruneHosts();
    return { changed: [...changed], left: [...left] };
  }

  /** What an instance is missing to be reported whole: its SRV and TXT, or its host's addresses. */
  missing(key: string, now: number): { name: DnsName; what: 'SRV' | 'TXT' | 'A' }[] {
    const instance = this.instances.get(key);
    if (!instance) return [];
    const wanted: { name: DnsName; what: 'SRV' | 'TXT' | 'A' }[] = [];
    if (!instance.srv || instance.srv.expiresAt <= now) wanted.push({ name: instance.name, what: 'SRV' });
    if (!instance.txt) wanted.push({ name: instance.name, what: 'TXT' });
    if (instance.srv && this.liveAddresses(instance.srv.value.target, now).length === 0)
      wanted.push({ name: instance.srv.value.target, what: 'A' });
    return wanted;
  }

  /**
   * An instance as the network source reports it, once it has an SRV record: fresh until its
   * PTR or SRV record expires, whichever is first.
   */
  announcement(key: string, now: number): Announcement | undefined {
    const instance = this.instances.get(key);
    if (!instance?.srv || instance.srv.expiresAt <= now || instance.ptr <= now) return undefined;
    const { port, target } = instance.srv.value;
    const name = nameText(instance.name);
    return {
      protocol: 'mdns',
      id: name,
      addresses: this.liveAddresses(target, now),
      host: nameText(target),
      port,
      facts: {
        type: instance.type,
        instance: instance.name[0] ?? '',
        name,
        txt: txtFacts(instance.txt?.value ?? []),
      },
      freshMs: Math.min(instance.ptr, instance.srv.expiresAt) - now,
    };
  }

  /** Forgets instances whose records expired (the source has reported them gone by then). */
  expire(now: number): void {
    for (const [key, instance] of this.instances) {
      if (instance.ptr <= now || (instance.srv && instance.srv.expiresAt <= now)) this.instances.delete(key);
    }
    this.pruneHosts();
  }

  /** IPv4 addresses first, then IPv6, each in order. */
  private liveAddresses(target: DnsName, now: number): string[] {
    const held = this.addresses.get(nameKey(target));
    const live = [...(held ?? [])].filter(([, at]) => at > now).map(([address]) => address);
    return [
      ...live.filter((address) => !address.includes(':')).sort(),
      ...live.filter((address) => address.includes(':')).sort(),
    ];
  }

  /** Keeps the addresses of hosts that some instance's SRV names, and no other. */
  private pruneHosts(): void {
    const named = new Set(
      [...this.instances.values()].flatMap((instance) => (instance.srv ? [nameKey(instance.srv.value.target)] : [])),
    );
    for (const host of this.addresses.keys()) if (!named.has(host)) this.addresses.delete(host);
  }
}
