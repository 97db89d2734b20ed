import { networkInterfaces } from 'node:os';

const toNumber = (address: string): number =>
  address.split('.').reduce((value, part) => ((value << 8) | Number(part)) >>> 0, 0);

/** One allowed interface address and the network it is on. */
interface AllowedNetwork {
  address: string;
  network: number;
  mask: number;
}

/**
 * The networks of the interface addresses the config allows (their netmasks as the system
 * gives them), to tell which allowed address a peer is directly reachable from. A peer on no
 * allowed network is ignored: answering it, or fetching from it, would send on an interface the
 * config does not allow.
 */
export class Ipv4Networks {
  private readonly networks: AllowedNetwork[];

  constructor(addresses: readonly string[], interfaces = networkInterfaces()) {
    const masks = new Map<string, string>();
    for (const entries of Object.values(interfaces))
      for (const entry of entries ?? []) if (entry.family === 'IPv4') masks.set(entry.address, entry.netmask);
    this.networks = addresses.map((address) => {
      // An address the system does not list (gone since the config was read) stands for itself alone.
      const mask = toNumber(masks.get(address) ?? '255.255.255.255');
      return { address, mask, network: (toNumber(address) & mask) >>> 0 };
    });
  }

  /** The allowed interface address `peer` is on the network of, or undefined when on none. */
  localAddressFor(peer: string): string | undefined {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(peer)) return undefined;
    const value = toNumber(peer);
    return this.networks.find(({ network, mask }) => (value & mask) >>> 0 === network)?.address;
  }
}
