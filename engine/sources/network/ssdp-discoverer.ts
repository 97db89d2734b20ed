import dgram from 'node:dgram';
import { RateLimitedWarning } from '../../core/rate-limited-warning.js';
import type { Discoverer, DiscoveryContext } from './discovery.js';
import { searchTargets } from './ssdp-detect.js';
import { parseDeviceDescription } from './ssdp-description.js';
import { SsdpDeviceTable, type DescribeResult, type SsdpTableLimits } from './ssdp-devices.js';
import { fetchableLocation, fetchDescription, type DescriptionFetchLimits } from './ssdp-location.js';
import { parseSsdpMessage, searchMessage, SSDP_GROUP, SSDP_PORT } from './ssdp-message.js';

/** The settings of `sources.network.ssdp`, defaults filled in by the config schema. */
export type SsdpConfig = SsdpTableLimits & {
  descriptionMaxBytes: number;
  descriptionTimeoutMs: number;
  descriptionConcurrency: number;
  /** The MX of a search: devices spread their replies over this many seconds. */
  searchMx: number;
};

/** The TTL of a search: UDA 2.0 recommends 2, enough for the local network and no further. */
const SEARCH_TTL = 2;

/**
 * SSDP, running: one socket on the SSDP port joined to the group on each allowed interface
 * (announcements), one socket per allowed interface address that sends the searches and hears
 * their unicast replies, and the device table they feed.
 */
export class SsdpDiscoverer implements Discoverer {
  private readonly table: SsdpDeviceTable;
  private readonly aborts = new AbortController();
  private listener: dgram.Socket | undefined;
  private searchers: Array<{ socket: dgram.Socket; address: string }> = [];
  private targets: string[] = [];
  private fetching = 0;
  private readonly waitingFetches: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly config: SsdpConfig,
    private readonly context: DiscoveryContext,
  ) {
    const full = new RateLimitedWarning(context.log, 'SSDP: device table full, announcement ignored', undefined);
    this.table = new SsdpDeviceTable(
      context,
      config,
      (...args) => this.describe(...args),
      (fields) => full.failed(fields),
    );
  }

  async start(blocks: readonly unknown[]): Promise<void> {
    this.targets = searchTargets(blocks);
    this.table.setTargets(this.targets);
    const addresses = this.context.interfaceAddresses;
    if (addresses.length === 0) return;
    this.listener = await this.bound({ port: SSDP_PORT, address: SSDP_GROUP }, (socket) => {
      for (const address of addresses) socket.addMembership(SSDP_GROUP, address);
    });
    for (const address of addresses)
      this.searchers.push({
        address,
        socket: await this.bound({ port: 0, address }, (socket) => {
          socket.setMulticastInterface(address);
          socket.setMulticastTTL(SEARCH_TTL);
          socket.setMulticastLoopback(true);
        }),
      });
    this.query();
  }

  setBlocks(blocks: readonly unknown[]): void {
    const before = this.targets.join('\n');
    this.targets = searchTargets(blocks);
    this.table.setTargets(this.targets);
    if (this.targets.join('\n') !== before) this.query();
  }

  query(): void {
    if (this.stopped) return;
    for (const { socket, address } of this.searchers)
      for (const target of this.targets)
        socket.send(searchMessage(target, this.config.searchMx), SSDP_PORT, SSDP_GROUP, (error) => {
          if (error) this.context.log.debug('SSDP: search not sent', { address, target, error: error.message });
        });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.aborts.abort();
    const sockets = [...(this.listener ? [this.listener] : []), ...this.searchers.map(({ socket }) => socket)];
    this.listener = undefined;
    this.searchers = [];
    this.table.clear();
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }

  /** A UDP socket bound to `where`, set up by `configure`, its datagrams fed to the table. */
  private async bound(where: { port: number; address: string }, configure: (socket: dgram.Socket) => void) {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('message', (datagram, sender) => this.received(datagram, sender.address));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(where, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (error) => this.context.log.warn('SSDP: socket error', { error: error.message }));
    configure(socket);
    return socket;
  }

  private received(datagram: Buffer, sender: string): void {
    // A sender off the allowed subnets is heard only because another socket joined the group
    // elsewhere: answering or fetching from it would send on an interface the config does not allow.
    if (this.stopped || !this.context.onLink(sender)) return;
    try {
      const message = parseSsdpMessage(datagram);
      if (message) this.table.receive(message, sender);
    } catch (error) {
      // Nothing above should throw on any input; if it does, the datagram is lost, not the socket.
      this.context.log.warn('SSDP: datagram dropped', { sender, error: (error as Error).message });
    }
  }

  /** Fetches and reads a device's description, a bounded number at once. */
  private async describe(udn: string, location: string | undefined, sender: string): Promise<DescribeResult> {
    const url = fetchableLocation(location, sender);
    if (typeof url === 'string') {
      this.context.log.debug('SSDP: description not fetched', { udn, reason: url });
      return { failed: url };
    }
    // A slot freed is handed to the next waiting fetch, so never more than the limit run at once.
    if (this.fetching < this.config.descriptionConcurrency) this.fetching += 1;
    else await new Promise<void>((resolve) => this.waitingFetches.push(resolve));
    try {
      if (this.stopped) return { failed: 'stopped' };
      const limits: DescriptionFetchLimits = {
        maxBytes: this.config.descriptionMaxBytes,
        timeoutMs: this.config.descriptionTimeoutMs,
      };
      const fetched = await fetchDescription(url, limits, this.aborts.signal);
      const parsed = 'text' in fetched ? parseDeviceDescription(fetched.text, udn) : undefined;
      if (parsed) return parsed;
      const reason = 'failed' in fetched ? fetched.failed : 'no <device> in the description';
      this.context.log.debug('SSDP: description unreadable', { udn, location: url.href, reason });
      return { failed: reason };
    } finally {
      const next = this.waitingFetches.shift();
      if (next) next();
      else this.fetching -= 1;
    }
  }
}
