import { isIP } from 'node:net';
import type { Announcement } from './discovery.js';
import type { EndpointNews } from './wsd-messages.js';

/** What the engine knows of one endpoint, from every message that named it. */
export interface KnownEndpoint {
  readonly address: string;
  types: string[];
  scopes: string[];
  xaddrs: string[];
  metadataVersion: number | null;
  /** The address the last message came from. */
  sender: string;
  heardAt: number;
  /** Whether the network source has been told of it (and must be told when it leaves). */
  reported: boolean;
  /** When a Resolve for its XAddrs was last sent. */
  resolvedAt: number;
}

/**
 * The endpoints heard, at most `limit` of them and `perSenderLimit` from one sender address, so
 * that a flood of made-up endpoints cannot grow memory, nor one host push out the others.
 * Messages complete each other: wsdd's Hello gives XAddrs and no types, its ProbeMatch types and
 * no XAddrs; what a message leaves out is kept from the last one that said it.
 */
export class EndpointMemory {
  private readonly endpoints = new Map<string, KnownEndpoint>();
  /** How many of the endpoints each sender address last spoke for. */
  private readonly perSender = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly freshMs: number,
    private readonly perSenderLimit = limit,
  ) {}

  /** Merges `news` in; undefined when the endpoint is new and there is no room for it. */
  learn(news: EndpointNews, sender: string, now: number): KnownEndpoint | undefined {
    let known = this.endpoints.get(news.address);
    if (known) {
      this.endpoints.delete(news.address); // the Map's order is then the order last heard
      this.count(known.sender, -1);
    } else {
      if (!this.makeRoom(now, sender)) return undefined;
      known = {
        address: news.address,
        types: [],
        scopes: [],
        xaddrs: [],
        metadataVersion: null,
        sender,
        heardAt: now,
        reported: false,
        resolvedAt: -Infinity,
      };
    }
    known.types = news.types ?? known.types;
    known.scopes = news.scopes ?? known.scopes;
    known.xaddrs = news.xaddrs ?? known.xaddrs;
    known.metadataVersion = news.metadataVersion ?? known.metadataVersion;
    known.sender = sender;
    known.heardAt = now;
    this.endpoints.set(news.address, known);
    this.count(sender, 1);
    return known;
  }

  /** The endpoint said Bye: what was known of it, if anything. */
  forget(address: string): KnownEndpoint | undefined {
    const known = this.endpoints.get(address);
    if (known) this.drop(known);
    return known;
  }

  get size(): number {
    return this.endpoints.size;
  }

  /** How many endpoints `sender` last spoke for. */
  fromSender(sender: string): number {
    return this.perSender.get(sender) ?? 0;
  }

  /**
   * Room for a new endpoint from `sender`: the stale go, then the oldest never reported (from
   * that sender when it is the one at its limit). False when every slot that could be freed holds
   * a fresh reported endpoint.
   */
  private makeRoom(now: number, sender: string): boolean {
    const full = () => this.endpoints.size >= this.limit || this.fromSender(sender) >= this.perSenderLimit;
    if (!full()) return true;
    for (const known of this.endpoints.values()) if (now - known.heardAt > this.freshMs) this.drop(known);
    if (!full()) return true;
    const senderFull = this.fromSender(sender) >= this.perSenderLimit;
    for (const known of this.endpoints.values()) {
      if (known.reported || (senderFull && known.sender !== sender)) continue;
      this.drop(known);
      return !full();
    }
    return false;
  }

  private drop(known: KnownEndpoint): void {
    this.endpoints.delete(known.address);
    this.count(known.sender, -1);
  }

  private count(sender: string, change: 1 | -1): void {
    const count = this.fromSender(sender) + change;
    if (count > 0) this.perSender.set(sender, count);
    else this.perSender.delete(sender);
  }
}

const MAX_ADDRESSES = 8;

/** The announcement of an endpoint: its facts under `network.wsd`, addresses from XAddrs and the sender. */
export function endpointAnnouncement(known: KnownEndpoint, freshMs: number): Announcement {
  const urls = known.xaddrs.map(parseUrl).filter((url) => url !== undefined);
  const hosts = urls.map((url) => url.hostname.replace(/^\[(.*)\]$/, '$1'));
  const addresses = [...new Set([...hosts, known.sender].filter((host) => isIP(host) !== 0))]
    .sort((a, b) => isIP(a) - isIP(b))
    .slice(0, MAX_ADDRESSES);
  const named = urls.find((url) => isIP(url.hostname.replace(/^\[(.*)\]$/, '$1')) === 0);
  const first = urls[0];
  const uuid = /^urn:uuid:([0-9a-f-]{36})$/.exec(known.address)?.[1] ?? null;
  return {
    protocol: 'wsd',
    id: known.address,
    addresses,
    ...(named ? { host: named.hostname } : {}),
    ...(first ? { port: Number(first.port || (first.protocol === 'https:' ? 443 : 80)) } : {}),
    facts: {
      endpoint: known.address,
      uuid,
      types: known.types,
      scopes: known.scopes,
      xaddrs: known.xaddrs,
      metadataVersion: known.metadataVersion,
      onvif: onvifScopes(known.scopes),
    },
    freshMs,
  };
}

const ONVIF_SCOPE = 'onvif://www.onvif.org/';

/**
 * What ONVIF devices say of themselves in their scopes (ONVIF Core Specification, "Scopes"):
 * `onvif://www.onvif.org/name/<name>`, `.../hardware/<model>`, `.../Profile/<profile>`, values
 * percent-encoded. Null when the peripheral has no ONVIF scope.
 */
export function onvifScopes(
  scopes: readonly string[],
): { name: string | null; hardware: string | null; profiles: string[] } | null {
  const values = (category: string) =>
    scopes
      .filter((scope) => scope.toLowerCase().startsWith(`${ONVIF_SCOPE}${category.toLowerCase()}/`))
      .map((scope) => percentDecoded(scope.slice(ONVIF_SCOPE.length + category.length + 1)));
  if (!scopes.some((scope) => scope.toLowerCase().startsWith(ONVIF_SCOPE))) return null;
  return { name: values('name')[0] ?? null, hardware: values('hardware')[0] ?? null, profiles: values('Profile') };
}

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
