/**
 * SSDP messages (UPnP Device Architecture 2.0, section 1): HTTP-shaped datagrams on UDP,
 * parsed here from whatever bytes arrive. Every bound below drops the datagram rather than
 * throwing: a malformed or oversized packet is noise, not an error.
 */

/** The SSDP multicast group and port (IPv4). */
export const SSDP_GROUP = '239.255.255.250';
export const SSDP_PORT = 1900;

/** A datagram longer than this is dropped unread: real announcements are a few hundred bytes. */
export const MAX_DATAGRAM_BYTES = 8192;
/** Header lines read from one datagram; more is not a real announcement. */
const MAX_HEADER_LINES = 64;
/** A header value longer than this drops the datagram (a LOCATION, USN or SERVER is far shorter). */
const MAX_VALUE_CHARS = 1024;
/** max-age when the announcement gives none, the UDA's recommended minimum (30 minutes). */
export const DEFAULT_MAX_AGE_S = 1800;
/** A larger max-age is clamped to it: a device claiming a year would never expire once killed. */
export const MAX_MAX_AGE_S = 86400;

/** What a datagram is: an announcement, a reply to a search, or another control point's search. */
export type SsdpKind = 'notify' | 'response' | 'search';

/** A parsed SSDP datagram: its kind and headers, names lower-cased, the first of each kept. */
export interface SsdpMessage {
  kind: SsdpKind;
  headers: ReadonlyMap<string, string>;
}

const START_LINES: ReadonlyArray<[RegExp, SsdpKind]> = [
  [/^NOTIFY \* HTTP\/1\.[01]$/i, 'notify'],
  [/^HTTP\/1\.[01] 200( .*)?$/i, 'response'],
  [/^M-SEARCH \* HTTP\/1\.[01]$/i, 'search'],
];

/** Parses one datagram; undefined when it is not an SSDP message within the bounds. */
export function parseSsdpMessage(datagram: Uint8Array): SsdpMessage | undefined {
  if (datagram.length > MAX_DATAGRAM_BYTES) return undefined;
  // Latin-1 keeps every byte one character: no decoding error can arise, and header values
  // (URLs, UUIDs, type URNs) are ASCII in every real device.
  const text = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length).toString('latin1');
  const lines = text.split(/\r?\n/, MAX_HEADER_LINES + 2);
  const kind = START_LINES.find(([pattern]) => pattern.test(lines[0]!.trim()))?.[1];
  if (!kind) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (value.length > MAX_VALUE_CHARS) return undefined;
    if (!headers.has(name)) headers.set(name, value);
  }
  return { kind, headers };
}

/**
 * The seconds of `max-age` in a CACHE-CONTROL value, clamped to [1, MAX_MAX_AGE_S];
 * DEFAULT_MAX_AGE_S when absent or unreadable.
 */
export function maxAgeSeconds(cacheControl: string | undefined): number {
  const match = /(?:^|[,\s])max-age\s*=\s*"?(\d{1,9})/i.exec(cacheControl ?? '');
  if (!match) return DEFAULT_MAX_AGE_S;
  return Math.min(MAX_MAX_AGE_S, Math.max(1, Number(match[1])));
}

/** The UDN a USN names (`uuid:...` before any `::type`), or undefined when it names none. */
export function udnOfUsn(usn: string | undefined): string | undefined {
  const match = /^(uuid:[^:\s]{1,128})(?:::|$)/i.exec(usn ?? '');
  return match ? match[1] : undefined;
}

/** The M-SEARCH datagram asking for `target` (a type URN, `upnp:rootdevice`, a `uuid:`), replies within `mx` seconds. */
export function searchMessage(target: string, mx: number): Buffer {
  return Buffer.from(
    `M-SEARCH * HTTP/1.1\r\nHOST: ${SSDP_GROUP}:${SSDP_PORT}\r\nMAN: "ssdp:discover"\r\nMX: ${mx}\r\nST: ${target}\r\n\r\n`,
    'latin1',
  );
}
