import { isIP } from 'node:net';

/** The smallest prefix a range may have without `allowLargeRanges`: a /24 is 254 hosts. */
export const DEFAULT_SMALLEST_PREFIX = 24;
/** The smallest prefix a range may ever have: a /16 is 65,534 hosts, probed only when asked for. */
export const LARGE_RANGE_SMALLEST_PREFIX = 16;

/** The hosts `sources.network.tcp.hosts` names, and the entries refused (with why). */
export interface ExpandedHosts {
  hosts: string[];
  refused: string[];
}

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

const ipv4Number = (address: string) => address.split('.').reduce((number, part) => number * 256 + Number(part), 0);

const ipv4Text = (number: number) => [24, 16, 8, 0].map((shift) => Math.floor(number / 2 ** shift) % 256).join('.');

/** The addresses of an IPv4 range, without its network and broadcast addresses when it has them. */
function rangeHosts(base: string, prefix: number): string[] {
  const size = 2 ** (32 - prefix);
  const first = ipv4Number(base) - (ipv4Number(base) % size);
  // A /31 or /32 has no network or broadcast address (RFC 3021).
  const [from, to] = size > 2 ? [first + 1, first + size - 2] : [first, first + size - 1];
  return Array.from({ length: to - from + 1 }, (_, index) => ipv4Text(from + index));
}

/**
 * Expands the configured entries (IPv4 or IPv6 addresses, host names, IPv4 ranges in CIDR
 * notation) into the hosts to probe. A range wider than a /24 is refused unless
 * `allowLargeRanges`, and wider than a /16 always: a probe that was given a handful of devices
 * must not turn into a scan of a whole network.
 */
export function expandHosts(entries: readonly string[], allowLargeRanges: boolean): ExpandedHosts {
  const hosts = new Set<string>();
  const refused: string[] = [];
  const smallestPrefix = allowLargeRanges ? LARGE_RANGE_SMALLEST_PREFIX : DEFAULT_SMALLEST_PREFIX;
  for (const entry of entries) {
    const [address = '', prefixText, ...rest] = entry.trim().split('/');
    if (prefixText === undefined) {
      if (isIP(address) || (address.length <= 253 && HOST_NAME.test(address))) hosts.add(address);
      else refused.push(`${entry}: neither an address nor a host name`);
      continue;
    }
    const prefix = Number(prefixText);
    if (rest.length || isIP(address) !== 4 || !/^\d{1,2}$/.test(prefixText) || prefix > 32)
      refused.push(`${entry}: ranges are IPv4 in CIDR notation (192.168.1.0/24)`);
    else if (prefix < smallestPrefix)
      refused.push(
        allowLargeRanges
          ? `${entry}: wider than a /${LARGE_RANGE_SMALLEST_PREFIX}, which is never probed`
          : `${entry}: wider than a /${DEFAULT_SMALLEST_PREFIX}; set allowLargeRanges to probe up to a /${LARGE_RANGE_SMALLEST_PREFIX}`,
      );
    else for (const host of rangeHosts(address, prefix)) hosts.add(host);
  }
  return { hosts: [...hosts], refused };
}
