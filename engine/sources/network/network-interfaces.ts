import { readFileSync } from 'node:fs';
import { BlockList, isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';

/** The interfaces the network source may use, as found now. */
export interface AllowedInterfaces {
  /** The interface names used: the configured ones, or the default route's. */
  names: readonly string[];
  /** Their IPv4 addresses: where the protocols join groups and send from. */
  addresses: string[];
  /** Whether a sender is on one of their subnets (what is heard from elsewhere is dropped). */
  onLink(address: string): boolean;
  /** Why none could be used, when `addresses` is empty. */
  problem?: string;
}

/**
 * The interface of the IPv4 default route with the lowest metric, from /proc/net/route: the
 * link the gateway's own traffic leaves by. Loopback never counts.
 */
export function defaultRouteInterface(routeTable = '/proc/net/route'): string | undefined {
  let text: string;
  try {
    text = readFileSync(routeTable, 'utf8');
  } catch {
    return undefined;
  }
  let best: { name: string; metric: number } | undefined;
  for (const line of text.split('\n').slice(1)) {
    const [name, destination, , , , , metric, mask] = line.trim().split(/\s+/);
    if (!name || name === 'lo' || destination !== '00000000' || mask !== '00000000') continue;
    const value = Number(metric);
    if (!best || value < best.metric) best = { name, metric: value };
  }
  return best?.name;
}

/**
 * The interfaces the config allows (`sources.network.interfaces`), or with none configured the
 * default route's interface, with their IPv4 addresses and subnets as the system has them now.
 */
export function allowedInterfaces(configured: readonly string[] | undefined): AllowedInterfaces {
  const names = configured ?? [defaultRouteInterface()].filter((name): name is string => name !== undefined);
  const subnets = new BlockList();
  const addresses: string[] = [];
  const system = networkInterfaces();
  const missing: string[] = [];
  for (const name of names) {
    const ipv4 = (system[name] ?? []).filter((entry) => entry.family === 'IPv4');
    if (ipv4.length === 0) missing.push(name);
    for (const entry of ipv4) {
      addresses.push(entry.address);
      subnets.addSubnet(entry.address, Number(entry.cidr?.split('/')[1] ?? 32), 'ipv4');
    }
  }
  const onLink = (address: string) => isIPv4(address) && subnets.check(address, 'ipv4');
  if (addresses.length > 0) return { names, addresses, onLink };
  const problem =
    names.length === 0
      ? 'no interface configured (sources.network.interfaces) and no default route'
      : `no IPv4 address on ${missing.join(', ')}`;
  return { names, addresses, onLink, problem };
}
