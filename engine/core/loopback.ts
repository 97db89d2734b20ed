import { isIP } from 'node:net';

/** `::ffff:127.0.0.2`, as a dual-stack socket shows an IPv4 peer, as `127.0.0.2`. */
export const unmapped = (address: string): string =>
  /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;

/**
 * Whether a host or address is on loopback, reachable only from this machine: `localhost`,
 * 127.0.0.0/8, ::1, or IPv4 loopback mapped into IPv6.
 */
export function isLoopback(hostOrAddress: string): boolean {
  if (hostOrAddress === 'localhost') return true;
  const plain = unmapped(hostOrAddress);
  return isIP(plain) === 4 ? plain.startsWith('127.') : plain === '::1';
}
