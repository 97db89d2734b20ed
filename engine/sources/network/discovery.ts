import type { Logger } from '../../core/log.js';

/** The discovery protocols of the network source, each a key under `detect.network` and `network.*`. */
export type DiscoveryProtocol = 'mdns' | 'ssdp' | 'wsd';

/**
 * One peripheral as a discovery protocol last heard it. `id` stays the same when the
 * peripheral's address changes (an mDNS instance name, an SSDP UDN, a WS-Discovery endpoint
 * reference), so its identifier in the backends does too.
 */
export interface Announcement {
  protocol: DiscoveryProtocol;
  /** Identity within the protocol, stable across address changes. */
  id: string;
  /** The facts the protocol supplies, placed under `network.<protocol>` (plain JSON values only). */
  facts: Readonly<Record<string, unknown>>;
  /** How long the announcement stays fresh, in milliseconds from when it was heard (TTL, max-age). */
  freshMs: number;
}

/** What a running discoverer is given. */
export interface DiscoveryContext {
  /** A peripheral was announced or answered a query (again): fresh for `freshMs` from now. */
  heard(announcement: Announcement): void;
  /** A peripheral said it is leaving (mDNS goodbye, ssdp:byebye, WS-Discovery Bye). */
  left(protocol: DiscoveryProtocol, id: string): void;
  log: Logger;
  /**
   * The IPv4 addresses of the interfaces the config allows: a discoverer joins its multicast
   * group and sends only on these, never on any other interface.
   */
  interfaceAddresses: readonly string[];
}

/**
 * One discovery protocol, run by the network source. It sends nothing before `start` and
 * nothing after `stop`; whatever arrives (malformed, huge, a flood) is bounded and dropped,
 * never thrown out of its socket handlers.
 */
export interface Discoverer {
  readonly protocol: DiscoveryProtocol;
  /**
   * Starts listening and sends a first query for `interests` (what loaded profiles name:
   * mDNS service types such as `_ipp._tcp`, SSDP search targets, WS-Discovery types); resolves
   * once the sockets are bound and the query sent.
   */
  start(interests: readonly string[]): Promise<void>;
  /** The profiles now name other interests: query for the new ones, stop asking for the gone ones. */
  setInterests(interests: readonly string[]): void;
  /** Asks again now (the source calls it before a peripheral's announcement goes stale). */
  query(): void;
  stop(): Promise<void>;
}

/** Creates a protocol's discoverer. */
export type CreateDiscoverer = (context: DiscoveryContext) => Discoverer;
