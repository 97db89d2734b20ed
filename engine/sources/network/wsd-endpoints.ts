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
 * The endpoints heard, at most `limit` of them, so that a flood of made-up endpoints cannot grow
 * memory. Messages complete each other: wsdd's Hello gives XAddrs and no types, its ProbeMatch
 * types and no XAddrs; what a message leaves out is kept from the last one that said it.
 */
export class EndpointMemory {
  private readonly endpoints = new Map<string, KnownEndpoint>();

  constructor(
    private readonly limit: number,
    private readonly freshMs: number,
  ) {}

  /** Merges `news` in; undefined when the endpoint is new and there is no room for it. */
  learn(news: EndpointNews, sender: string, now: number): KnownEndpoint | undefined {
    let known = this.endpoints.get(news.address);
    if (known) {
      this.endpoints.delete(news.address); // the Map's order is then the order last heard
    } else {
      if (!this.makeRoom(now)) return undefined;
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
    return known;
  }

  /** The endpoint said Bye: what was known of it, if anything. */
  forget(address: string): KnownEndpoint | undefined {
    const known = this.endpoints.get(address);
    this.endpoints.delete(address);
    return known;
  }

  get size(): number {
    return this.endpoints.size;
  }

  /** Drops the stale, then the oldest never reported; false when every slot holds a fresh reported one. */
  private makeRoom(now: number): boolean {
    if (this.endpoints.size < this.limit) return true;
    for (const [address, known] of this.endpoints) {
      if (now - known.heardAt > this.freshMs) this.endpoints.delete(address);
    }
    if (this.endpoints.size < this.limit) return true;
    for (const [address, known] of this.endpoints) {
      if (!known.reported) {
        this.endpoints.delete(address);
        return true;
      }
    }
    return false;
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
