import type { Source, SourceContext, SourceStatus } from '../source.js';
import type { DiscoveryContext, Discoverer, NetworkProtocol, ProtocolDefinition } from './discovery.js';
import { blocksByProtocol } from './network-detect.js';
import { allowedInterfaces, type AllowedInterfaces } from './network-interfaces.js';
import { NetworkPresence } from './network-presence.js';

/** The default of `sources.network.maxDevices`. */
export const DEFAULT_MAX_NETWORK_DEVICES = 1000;

/** The default of `sources.network.interfacesRecheckMs`. */
export const DEFAULT_INTERFACES_RECHECK_MS = 10_000;

/** The `sources.network` settings of the config file, after its schema has accepted them. */
export interface NetworkConfig {
  /** The interfaces to listen and send on; absent: the default route's interface. */
  interfaces?: string[];
  maxDevices?: number;
  /** How often the interfaces are looked at again while a protocol runs or waits for them. */
  interfacesRecheckMs?: number;
  /** Each protocol's own settings, under its name. */
  [protocol: string]: unknown;
}

/** A protocol running, with the blocks it was last given. */
interface Running {
  discoverer: Discoverer;
  blocks: string;
}

/**
 * The network source: runs the protocols the loaded profiles name (`detect.network.<protocol>`)
 * and no other, each on the allowed interfaces only, and reports the peripherals they hear while
 * they are fresh (see {@link NetworkPresence}). With no profile naming a protocol it opens no
 * socket at all.
 */
export class NetworkSource implements Source {
  readonly kind = 'network';
  private readonly running = new Map<NetworkProtocol, Running>();
  private readonly presence: NetworkPresence;
  private interfaces: AllowedInterfaces | undefined;
  private blocks: readonly unknown[];
  private ready = false;
  private stopped = false;
  /** Looks at the interfaces again while a protocol is wanted (see `recheckInterfaces`). */
  private recheck: NodeJS.Timeout | undefined;
  // One change of protocols at a time: profiles can change again while sockets are being bound.
  private changing: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: NetworkConfig,
    private readonly context: SourceContext,
    blocks: readonly unknown[],
    private readonly definitions: readonly ProtocolDefinition[],
  ) {
    this.blocks = blocks;
    this.presence = new NetworkPresence(
      context.emit,
      (protocol) => this.running.get(protocol)?.discoverer.query(),
      context.log,
      config.maxDevices ?? DEFAULT_MAX_NETWORK_DEVICES,
    );
  }

  async start(_signal?: AbortSignal): Promise<void> {
    await this.follow(this.blocks);
    this.ready = true;
  }

  profilesChanged(blocks: readonly unknown[]): Promise<void> {
    this.blocks = blocks;
    return this.follow(blocks);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.recheck);
    await this.changing;
    await Promise.all([...this.running.values()].map(({ discoverer }) => discoverer.stop()));
    this.running.clear();
    this.presence.clear();
  }

  status(): SourceStatus {
    const protocols = [...this.running.keys()];
    if (protocols.length === 0) {
      const problem = this.interfaces?.problem;
      return { kind: this.kind, mode: 'idle', ready: this.ready, ...(problem ? { detail: problem } : {}) };
    }
    const on = this.interfaces!.names.join(', ');
    return {
      kind: this.kind,
      mode: 'multicast',
      ready: this.ready,
      detail: `${protocols.join(', ')} on ${on}; ${this.presence.size} peripherals`,
    };
  }

  /** The peripherals present now (`engine list` reads them after a bounded listen). */
  devices() {
    return this.presence.devices();
  }

  private follow(blocks: readonly unknown[]): Promise<void> {
    this.changing = this.changing.then(() => this.apply(blocks));
    return this.changing;
  }

  /**
   * Looks at the interfaces again, every `interfacesRecheckMs` while a protocol is wanted: a
   * gateway whose address comes after the engine started (DHCP, a link plugged in later) starts
   * discovery then instead of at the next restart, and one whose address changed listens and
   * sends on the new one; a protocol that could not start is tried again. The peripherals
   * heard stay until they go stale, as they would anyway.
   */
  private recheckInterfaces(): void {
    this.changing = this.changing.then(async () => {
      if (this.stopped || !this.interfaces) return;
      const now = allowedInterfaces(this.config.interfaces);
      if (sameInterfaces(now, this.interfaces)) {
        // A protocol that could not start (its socket refused, the link not up yet) is tried again.
        const wanted = blocksByProtocol(this.blocks);
        if (!now.problem && [...wanted.keys()].some((protocol) => !this.running.has(protocol)))
          await this.apply(this.blocks, false);
        return;
      }
      const before = this.interfaces;
      this.interfaces = now;
      for (const running of this.running.values()) await running.discoverer.stop();
      this.running.clear();
      if (!now.problem)
        this.context.log.info(
          before.problem ? 'network discovery is on' : 'network interfaces changed; discovery restarted',
          {
            interfaces: now.names,
            addresses: now.addresses,
          },
        );
      await this.apply(this.blocks, before.problem !== now.problem);
    });
  }

  /**
   * Starts the protocols the blocks name, gives the running ones their new blocks, stops the
   * rest. `warn`: say so when the interfaces keep discovery off (once per reason, not per look).
   */
  private async apply(blocks: readonly unknown[], warn = true): Promise<void> {
    if (this.stopped) return;
    const wanted = blocksByProtocol(blocks);
    for (const [protocol, running] of this.running) {
      if (wanted.has(protocol)) continue;
      this.running.delete(protocol);
      await running.discoverer.stop();
      this.presence.forget(protocol);
    }
    if (wanted.size === 0) {
      clearInterval(this.recheck);
      this.recheck = undefined;
      return;
    }
    this.interfaces ??= allowedInterfaces(this.config.interfaces);
    this.recheck ??= setInterval(
      () => this.recheckInterfaces(),
      this.config.interfacesRecheckMs ?? DEFAULT_INTERFACES_RECHECK_MS,
    ).unref();
    if (this.interfaces.problem) {
      if (warn) this.context.log.warn('network discovery is off', { reason: this.interfaces.problem });
      return;
    }
    for (const [protocol, protocolBlocks] of wanted) {
      const running = this.running.get(protocol);
      const text = JSON.stringify(protocolBlocks);
      if (running) {
        if (running.blocks !== text) running.discoverer.setBlocks(protocolBlocks);
        running.blocks = text;
        continue;
      }
      const definition = this.definitions.find((candidate) => candidate.protocol === protocol);
      if (!definition) continue;
      const discoverer = definition.create((this.config[protocol] ?? {}) as Record<string, unknown>, this.discovery());
      this.running.set(protocol, { discoverer, blocks: text });
      try {
        await discoverer.start(protocolBlocks);
      } catch (error) {
        this.running.delete(protocol);
        await discoverer.stop().catch(() => undefined);
        this.context.log.warn('network protocol could not start', { protocol, error: String(error) });
      }
    }
  }

  private discovery(): DiscoveryContext {
    const interfaces = this.interfaces!;
    return {
      heard: (announcement) => {
        if (!this.stopped && this.running.has(announcement.protocol)) this.presence.heard(announcement);
      },
      left: (protocol, id) => {
        if (!this.stopped) this.presence.left(protocol, id);
      },
      log: this.context.log,
      interfaceAddresses: interfaces.addresses,
      onLink: (address) => interfaces.onLink(address),
      // Only on-link addresses: an announcement's A records or XAddrs say what the sender claims.
      heardHosts: () => this.presence.hostsHeard('tcp', (address) => interfaces.onLink(address)),
    };
  }
}

/** Whether two looks at the interfaces found the same names, addresses and problem. */
function sameInterfaces(a: AllowedInterfaces, b: AllowedInterfaces): boolean {
  const key = (found: AllowedInterfaces) =>
    JSON.stringify([found.names, [...found.addresses].sort(), found.problem ?? null]);
  return key(a) === key(b);
}
