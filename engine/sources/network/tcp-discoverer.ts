import type { Discoverer, DiscoveryContext } from './discovery.js';
import { spacedHex } from '../../probe/probe-reply.js';
import { tcpProbeOf, type TcpBlock, type TcpFacts, type TcpProbe } from './tcp-block.js';
import { exchangeTcp } from './tcp-exchange.js';
import { expandHosts } from './tcp-targets.js';
import type { TcpSettings } from './tcp-config.js';

/** A peripheral stays fresh this many rounds: one missed answer does not take it away. */
const FRESH_ROUNDS = 2.5;

/** `host:port`, the address of an IPv6 host in brackets, as in a URL. */
const targetId = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** Runs `work` on every item, at most `limit` at once. */
async function eachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The running TCP probe: every round (at start, when the profiles change, when the source asks,
 * and every `intervalMs`) it connects to each configured or heard host on each port the blocks
 * name, at most `concurrency` at once, and tells the source of every one whose reply matches.
 * Rounds never overlap; one asked for during a round runs right after it.
 */
export class TcpDiscoverer implements Discoverer {
  private probesByPort = new Map<number, TcpProbe[]>();
  private configuredHosts: readonly string[] = [];
  /** The ids last heard, each with its port, so that those no block asks for any more are said to have left. */
  private readonly heardIds = new Map<string, number>();
  private readonly aborter = new AbortController();
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private again = false;
  private lastRoundMs = 0;

  constructor(
    private readonly settings: TcpSettings,
    private readonly context: DiscoveryContext,
  ) {}

  start(blocks: readonly unknown[]): Promise<void> {
    const { hosts, refused } = expandHosts(this.settings.hosts, this.settings.allowLargeRanges);
    for (const reason of refused) this.context.log.warn('tcp: a configured host is not probed', { reason });
    this.configuredHosts = hosts;
    this.compile(blocks);
    this.timer = setInterval(() => this.query(), this.settings.intervalMs);
    this.query();
    return Promise.resolve();
  }

  setBlocks(blocks: readonly unknown[]): void {
    this.compile(blocks);
    for (const [id, port] of this.heardIds)
      if (!this.probesByPort.has(port)) {
        this.heardIds.delete(id);
        this.context.left('tcp', id);
      }
    this.query();
  }

  query(): void {
    if (this.aborter.signal.aborted) return;
    if (this.round) {
      this.again = true;
      return;
    }
    this.round = this.rounds();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.aborter.abort();
    await this.round;
  }

  /** Groups the blocks' probes by port, each distinct probe once; a block that cannot run is left out and said. */
  private compile(blocks: readonly unknown[]): void {
    const byPort = new Map<number, Map<string, TcpProbe>>();
    for (const block of blocks as TcpBlock[]) {
      try {
        const probe = tcpProbeOf(block);
        const probes = byPort.get(probe.port) ?? new Map<string, TcpProbe>();
        probes.set(probe.key, probe);
        byPort.set(probe.port, probes);
      } catch (error) {
        this.context.log.warn('tcp: a block is not probed', { port: block.port, reason: (error as Error).message });
      }
    }
    this.probesByPort = new Map([...byPort].map(([port, probes]) => [port, [...probes.values()]]));
  }

  private async rounds(): Promise<void> {
    try {
      do {
        this.again = false;
        const started = Date.now();
        await this.runRound();
        this.lastRoundMs = Date.now() - started;
      } while (this.again && !this.aborter.signal.aborted);
    } catch (error) {
      this.context.log.error('tcp: a probe round failed', { error: (error as Error).message });
    } finally {
      this.round = undefined;
    }
  }

  private runRound(): Promise<void> {
    const heard = this.settings.probeHeardHosts ? this.context.heardHosts() : [];
    const hosts = [...new Set([...this.configuredHosts, ...heard])];
    const targets = hosts.flatMap((host) => [...this.probesByPort].map(([port, probes]) => ({ host, port, probes })));
    return eachBounded(targets, this.settings.concurrency, (target) => this.probeTarget(target));
  }

  /** Tries the port's probes in turn until one matches; the first that does makes the peripheral heard. */
  private async probeTarget({ host, port, probes }: { host: string; port: number; probes: TcpProbe[] }) {
    const id = targetId(host, port);
    for (const probe of probes) {
      if (this.aborter.signal.aborted) return;
      const outcome = await exchangeTcp(host, probe, this.settings.connectTimeoutMs, this.aborter.signal);
      if (outcome.kind === 'failed' && outcome.reason === 'stopped') return;
      if (outcome.kind !== 'matched') {
        this.context.log.debug('tcp: no match', { target: id, outcome: outcome.kind, reason: outcome.reason });
        // Nothing listens: the other probes of this port would fail the same way.
        if (outcome.kind === 'failed') return;
        continue;
      }
      const facts: TcpFacts = { host, port, request: spacedHex(probe.request), ...outcome.facts };
      this.heardIds.set(id, port);
      this.context.heard({
        protocol: 'tcp',
        id,
        addresses: [outcome.address],
        ...(host === outcome.address ? {} : { host }),
        port,
        facts: facts as unknown as Record<string, unknown>,
        freshMs: this.freshMs(probe),
      });
      return;
    }
  }

  /** Two and a half rounds, a slow round counting as long as it took, plus one probe's own bounds. */
  private freshMs(probe: TcpProbe): number {
    const round = Math.max(this.settings.intervalMs, this.lastRoundMs);
    return Math.ceil(FRESH_ROUNDS * round) + this.settings.connectTimeoutMs + probe.timeoutMs;
  }
}
