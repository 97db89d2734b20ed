import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Discoverer, DiscoveryContext } from './discovery.js';
import { decodeMessage, encodeQuery, RecordType } from './dns-message.js';
import { serviceTypeName, type DnsName } from './dns-name.js';
import { MdnsServices } from './mdns-services.js';

/** The mDNS group and port (RFC 6762). */
export const MDNS_GROUP = '224.0.0.251';
export const MDNS_PORT = 5353;
/**
 * Browsing queries go out at 1 s, 2 s, 4 s... after a type is first named, the gap doubling up
 * to an hour (RFC 6762 section 5.2); between them the source asks again before a peripheral
 * goes stale, and responders announce themselves when they start.
 */
const FIRST_QUERY_GAP_MS = 1000;
const MAX_QUERY_GAP_MS = 3600_000;
/** Queries are at least this far apart, however often the source asks. */
const MIN_QUERY_GAP_MS = 1000;
/** How long an instance heard without its TXT or address waits for them before it is reported as it is. */
const RESOLVE_WAIT_MS = 1000;
/** The most resolving queries (SRV, TXT, A of one instance) sent per second: a flood cannot make the source flood. */
const RESOLVES_PER_SECOND = 20;
const QUESTIONS_PER_QUERY = 32;

/** The service types the `detect.network.mdns` blocks name, each once. */
export const typesOf = (blocks: readonly unknown[]) => [
  ...new Set(blocks.map((block) => (block as { type: string }).type)),
];

/**
 * Browses the DNS-SD service types the profiles name over mDNS: asks for their PTR records on
 * the allowed interfaces, listens to every response (asked for or announced), and resolves the
 * instances (SRV, TXT, A/AAAA) into announcements for the network source.
 */
export class MdnsBrowser implements Discoverer {
  private socket: Socket | undefined;
  private services: MdnsServices;
  private types: string[] = [];
  private gapMs = FIRST_QUERY_GAP_MS;
  private queryTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastQueryAt = 0;
  private readonly resolving = new Map<string, NodeJS.Timeout>();
  private resolveBudget = { second: 0, left: RESOLVES_PER_SECOND };
  private sending: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly context: DiscoveryContext) {
    this.services = new MdnsServices([]);
  }

  async start(blocks: readonly unknown[]): Promise<void> {
    this.types = typesOf(blocks);
    this.services.setTypes(this.types);
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    this.socket = socket;
    socket.on('message', (message, sender) => this.received(message, sender));
    socket.on('error', (error) => this.context.log.warn('mDNS socket error', { error: error.message }));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(MDNS_PORT, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.setMulticastTTL(255);
    socket.setMulticastLoopback(true);
    for (const address of this.context.interfaceAddresses) {
      try {
        socket.addMembership(MDNS_GROUP, address);
      } catch (error) {
        this.context.log.warn('could not join the mDNS group', { address, error: String(error) });
      }
    }
    await this.browse();
  }

  setBlocks(blocks: readonly unknown[]): void {
    const types = typesOf(blocks);
    const added = types.some((type) => !this.types.includes(type));
    this.types = types;
    for (const id of this.services.setTypes(types)) this.context.left('mdns', id);
    if (added) {
      this.gapMs = FIRST_QUERY_GAP_MS;
      void this.browse();
    }
  }

  query(): void {
    const wait = this.lastQueryAt + MIN_QUERY_GAP_MS - Date.now();
    if (wait <= 0) {
      void this.browse(false);
      return;
    }
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.browse(false);
    }, wait);
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.queryTimer);
    clearTimeout(this.refreshTimer);
    for (const timer of this.resolving.values()) clearTimeout(timer);
    this.resolving.clear();
    await this.sending;
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
    this.socket = undefined;
  }

  /** Asks for every named type's instances now, and schedules the next time (doubling the gap when `backoff`). */
  private async browse(backoff = true): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.queryTimer);
    this.queryTimer = undefined;
    this.lastQueryAt = Date.now();
    this.services.expire(this.lastQueryAt);
    const questions = this.types.map((type) => ({ name: serviceTypeName(type), type: RecordType.PTR }));
    const sent = this.send(questions);
    if (backoff) {
      this.schedule(this.gapMs, true);
      this.gapMs = Math.min(this.gapMs * 2, MAX_QUERY_GAP_MS);
    } else this.schedule(this.gapMs, true);
    await sent;
  }

  private schedule(delayMs: number, backoff: boolean): void {
    clearTimeout(this.queryTimer);
    this.queryTimer = setTimeout(() => void this.browse(backoff), delayMs);
    this.queryTimer.unref();
  }

  /**
   * Sends the questions to the group from each allowed interface in turn: a send goes out on
   * the interface set when it leaves, so the next is set only once the last has gone.
   */
  private send(questions: readonly { name: DnsName; type: number }[]): Promise<void> {
    const packets: Buffer[] = [];
    for (let first = 0; first < questions.length; first += QUESTIONS_PER_QUERY)
      packets.push(encodeQuery(questions.slice(first, first + QUESTIONS_PER_QUERY)));
    this.sending = this.sending.then(async () => {
      for (const address of this.context.interfaceAddresses) {
        for (const packet of packets) {
          const socket = this.socket;
          if (this.stopped || !socket) return;
          await new Promise<void>((resolve) => {
            try {
              socket.setMulticastInterface(address);
              socket.send(packet, MDNS_PORT, MDNS_GROUP, (error) => {
                if (error) this.context.log.debug('mDNS query not sent', { address, error: error.message });
                resolve();
              });
            } catch (error) {
              this.context.log.debug('mDNS query not sent', { address, error: String(error) });
              resolve();
            }
          });
        }
      }
    });
    return this.sending;
  }

  private received(message: Buffer, sender: RemoteInfo): void {
    // Responses come from port 5353 (RFC 6762 section 6); what comes from off the allowed links is not ours to hear.
    if (this.stopped || sender.port !== MDNS_PORT || !this.context.onLink(sender.address)) return;
    try {
      const decoded = decodeMessage(message);
      if (!decoded?.response) return;
      const now = Date.now();
      const { changed, left } = this.services.apply(decoded.records, now);
      for (const id of left) this.context.left('mdns', id);
      for (const key of changed) this.report(key, now);
    } catch (error) {
      // Nothing above should throw on any input (the decoder drops malformed packets); if it
      // does, the packet is lost, not the socket or the engine, as for SSDP and WS-Discovery.
      this.context.log.warn('mDNS: packet dropped', { sender: sender.address, error: (error as Error).message });
    }
  }

  /** Reports an instance, once whole or once it has waited {@link RESOLVE_WAIT_MS} for the rest. */
  private report(key: string, now: number, waited = false): void {
    const announcement = this.services.announcement(key, now);
    if (!announcement && this.services.missing(key, now).length === 0) return;
    const missing = this.services.missing(key, now);
    if (missing.length > 0 && !waited) {
      if (this.resolving.has(key)) return;
      this.askFor(missing);
      const timer = setTimeout(() => {
        this.resolving.delete(key);
        this.report(key, Date.now(), true);
      }, RESOLVE_WAIT_MS);
      timer.unref();
      this.resolving.set(key, timer);
      return;
    }
    if (announcement) this.context.heard(announcement);
  }

  private askFor(missing: ReturnType<MdnsServices['missing']>): void {
    const second = Math.floor(Date.now() / 1000);
    if (this.resolveBudget.second !== second) this.resolveBudget = { second, left: RESOLVES_PER_SECOND };
    if (this.resolveBudget.left <= 0) return;
    this.resolveBudget.left -= 1;
    void this.send(
      missing.flatMap(({ name, what }): { name: DnsName; type: number }[] =>
        what === 'A'
          ? [
              { name, type: RecordType.A },
              { name, type: RecordType.AAAA },
            ]
          : [{ name, type: RecordType[what] }],
      ),
    );
  }
}
