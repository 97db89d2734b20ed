import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { RateLimitedWarning } from '../../core/rate-limited-warning.js';
import type { Discoverer, DiscoveryContext } from './discovery.js';
import { probeTypes, typesWanted, type WsdBlock } from './wsd-detect.js';
import { EndpointMemory, endpointAnnouncement, type KnownEndpoint } from './wsd-endpoints.js';
import { parseDiscoveryMessage, probeMessage, resolveMessage, type DiscoveryMessage } from './wsd-messages.js';

/** WS-Discovery's multicast group and port (SOAP-over-UDP). */
export const WSD_GROUP = '239.255.255.250';
export const WSD_PORT = 3702;

/** The discoverer's settings: `sources.network.wsd` with its defaults filled in. */
export interface WsdSettings {
  probeIntervalMs: number;
  maxEndpoints: number;
  maxEndpointsPerAddress: number;
}

/**
 * WS-Discovery has no time-to-live: a peripheral says Hello and Bye, and answers Probes. A
 * peripheral that dies says nothing, so the engine asks again every probe interval and holds a
 * peripheral fresh for three of them: one lost Probe or answer does not remove it, one that
 * stopped answering is gone within three intervals.
 */
export const FRESH_PROBE_INTERVALS = 3;

/** At most this many distinct types are probed for; more blocks' types are matched on what answers. */
const MAX_PROBED_TYPES = 16;
/** Message ids remembered for dropping SOAP-over-UDP's repeats, and endpoints' Byes remembered. */
const REMEMBERED_MESSAGES = 256;
/** Resolves sent per second at most, whatever is heard. */
const RESOLVES_PER_SECOND = 20;
/** Datagrams read per second; beyond, a flood, dropped unread until the next second. */
const MESSAGES_PER_SECOND = 2_000;
/**
 * `query` within this share of the probe interval since the last round sends nothing: the
 * discoverer probes every interval on its own, so the network source's refreshes before each
 * peripheral's freshness runs out (one per peripheral) collapse into the rounds it sends anyway.
 */
const QUERY_SPACING_SHARE = 0.5;

/**
 * Listens for Hello and Bye on the multicast group, joined on the allowed interfaces only, and
 * sends Probes from one socket bound to each allowed interface address; peripherals answer
 * (ProbeMatches) to that socket by unicast.
 */
export class WsdDiscoverer implements Discoverer {
  private readonly memory: EndpointMemory;
  /** Said once a minute at most, with how many endpoints were ignored since: a flood is many. */
  private readonly full: RateLimitedWarning;
  private readonly freshMs: number;
  private readonly recentMessageIds = new Map<string, true>();
  /** Endpoint → the InstanceId of its last Bye. */
  private readonly departed = new Map<string, string>();
  private readonly sockets: Socket[] = [];
  private probers: { socket: Socket; address: string }[] = [];
  private blocks: WsdBlock[] = [];
  private probed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastQueryAt = -Infinity;
  private window = { startedAt: 0, count: 0 };
  private resolves = { startedAt: 0, count: 0 };
  private stopped = false;

  constructor(
    private readonly settings: WsdSettings,
    private readonly context: DiscoveryContext,
  ) {
    this.freshMs = settings.probeIntervalMs * FRESH_PROBE_INTERVALS;
    this.memory = new EndpointMemory(settings.maxEndpoints, this.freshMs, settings.maxEndpointsPerAddress);
    this.full = new RateLimitedWarning(
      context.log,
      'WS-Discovery: endpoint table full, a new endpoint is ignored',
      undefined,
    );
  }

  async start(blocks: readonly unknown[]): Promise<void> {
    this.blocks = blocks as WsdBlock[];
    const addresses = this.context.interfaceAddresses;
    if (addresses.length === 0) return;
    await this.listen(addresses);
    for (const address of addresses) {
      const socket = await this.bind(address, 0);
      if (!socket) continue;
      socket.setMulticastInterface(address);
      socket.setMulticastTTL(1);
      this.probers.push({ socket, address });
    }
    if (this.stopped) return this.closeSockets();
    this.query();
    this.timer = setInterval(() => this.query(), this.settings.probeIntervalMs);
  }

  setBlocks(blocks: readonly unknown[]): void {
    this.blocks = blocks as WsdBlock[];
    const fresh = probeTypes(this.blocks, MAX_PROBED_TYPES).filter((types) => !this.probed.has(types.join(' ')));
    this.sendProbes(fresh);
  }

  query(): void {
    const now = Date.now();
    if (now - this.lastQueryAt < this.settings.probeIntervalMs * QUERY_SPACING_SHARE) return;
    this.lastQueryAt = now;
    this.sendProbes(probeTypes(this.blocks, MAX_PROBED_TYPES));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.closeSockets();
  }

  private async listen(addresses: readonly string[]): Promise<void> {
    const socket = await this.bind(WSD_GROUP, WSD_PORT);
    for (const address of addresses) {
      try {
        socket?.addMembership(WSD_GROUP, address);
      } catch (error) {
        this.context.log.warn('WS-Discovery: cannot join the multicast group here: Hello and Bye not heard', {
          address,
          error: String(error),
        });
      }
    }
  }

  /** A socket bound and reading, or undefined (said in the log) when it cannot be bound. */
  private bind(address: string, port: number): Promise<Socket | undefined> {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('message', (datagram, sender) => this.receive(datagram, sender.address));
    return new Promise((resolve) => {
      socket.once('error', (error) => {
        this.context.log.warn('WS-Discovery: cannot bind a socket', { address, port, error: error.message });
        socket.close();
        resolve(undefined);
      });
      socket.bind({ address, port }, () => {
        socket.removeAllListeners('error');
        socket.on('error', (error) => this.context.log.warn('WS-Discovery socket error', { error: error.message }));
        this.sockets.push(socket);
        resolve(socket);
      });
    });
  }

  private sendProbes(probes: readonly string[][]): void {
    if (this.stopped) return;
    for (const types of probes) {
      this.probed.add(types.join(' '));
      this.multicast(probeMessage(`urn:uuid:${randomUUID()}`, types));
    }
  }

  private multicast(message: string): void {
    for (const { socket, address } of this.probers) {
      socket.send(message, WSD_PORT, WSD_GROUP, (error) => {
        if (error) this.context.log.warn('WS-Discovery: a message was not sent', { address, error: error.message });
      });
    }
  }

  /**
   * Asks an endpoint heard without types or XAddrs for them (a ResolveMatch has both), at most
   * once a probe interval each and `RESOLVES_PER_SECOND` in all: a Hello without types (wsdd's)
   * is then known for what it is at once instead of at the next round of Probes, and a flood of
   * Hellos cannot make the engine flood the group with Resolves.
   */
  private resolve(known: KnownEndpoint, now: number): void {
    if (known.xaddrs.length > 0 && known.types.length > 0) return;
    if (now - known.resolvedAt < this.settings.probeIntervalMs) return;
    if (now - this.resolves.startedAt >= 1_000) this.resolves = { startedAt: now, count: 0 };
    if (++this.resolves.count > RESOLVES_PER_SECOND) return;
    known.resolvedAt = now;
    this.multicast(resolveMessage(`urn:uuid:${randomUUID()}`, known.address));
  }

  /** A socket handler: whatever arrives, it returns normally. */
  private receive(datagram: Buffer, sender: string): void {
    try {
      // A socket bound to the WS-Discovery port also hears the group joined on other interfaces.
      if (this.stopped || !this.context.onLink(sender) || !this.withinBudget()) return;
      const message = parseDiscoveryMessage(datagram);
      if (message && !this.isRepeat(message)) this.act(message, sender);
    } catch (error) {
      this.context.log.warn('WS-Discovery: a message could not be handled', { sender, error: String(error) });
    }
  }

  private act(message: DiscoveryMessage, sender: string): void {
    for (const news of message.endpoints) {
      if (message.kind === 'bye') {
        if (message.instanceId !== undefined) remember(this.departed, news.address, message.instanceId);
        if (this.memory.forget(news.address)?.reported) this.context.left('wsd', news.address);
        continue;
      }
      if (message.kind === 'hello') this.departed.delete(news.address);
      else if (message.instanceId !== undefined && this.departed.get(news.address) === message.instanceId) continue;
      const now = Date.now();
      const known = this.memory.learn(news, sender, now);
      if (!known) {
        this.full.failed({
          address: sender,
          remembered: this.memory.size,
          fromAddress: this.memory.fromSender(sender),
          maxEndpoints: this.settings.maxEndpoints,
          maxEndpointsPerAddress: this.settings.maxEndpointsPerAddress,
        });
      } else if (known.reported || typesWanted(this.blocks, known.types)) {
        known.reported = true;
        this.context.heard(endpointAnnouncement(known, this.freshMs));
        this.resolve(known, now);
      } else if (known.types.length === 0) {
        this.resolve(known, now);
      }
    }
  }

  private isRepeat(message: DiscoveryMessage): boolean {
    const id = message.messageId;
    if (id === undefined) return false;
    if (this.recentMessageIds.has(id)) return true;
    remember(this.recentMessageIds, id, true);
    return false;
  }

  private withinBudget(): boolean {
    const now = Date.now();
    if (now - this.window.startedAt >= 1_000) this.window = { startedAt: now, count: 0 };
    return ++this.window.count <= MESSAGES_PER_SECOND;
  }

  private async closeSockets(): Promise<void> {
    const sockets = this.sockets.splice(0);
    this.probers = [];
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }
}

/** Sets a key in a map that keeps the `REMEMBERED_MESSAGES` last set, the oldest going first. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  if (map.size >= REMEMBERED_MESSAGES) map.delete(map.keys().next().value!);
  map.set(key, value);
}
