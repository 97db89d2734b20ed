import type { Logger } from '../../core/log.js';
import type { JsonSchema } from '../../core/json-schema.js';
import type { SourceLintContext } from '../source-definition.js';

/**
 * The protocols of the network source, each a key under `detect.network` and a fact root under
 * `network.*`: three discovery protocols, and `tcp`, which connects to hosts it is given and
 * confirms a peripheral by its reply (the network counterpart of the serial probe).
 */
export type NetworkProtocol = 'mdns' | 'ssdp' | 'wsd' | 'tcp';

/**
 * One peripheral as a protocol last heard it. `id` stays the same when the peripheral's
 * address changes (an mDNS instance name, an SSDP UDN, a WS-Discovery endpoint reference; for
 * `tcp`, `host:port`), so its identifier in the backends does too. The network source keys the
 * device `network:<protocol>:<id>`.
 */
export interface Announcement {
  protocol: NetworkProtocol;
  /** Identity within the protocol, stable across address changes. */
  id: string;
  /** The peripheral's addresses as heard (IPv4 first), for `network.addresses`. */
  addresses: readonly string[];
  /** Its host name when the protocol gives one (mDNS `printer.local`), for `network.host`. */
  host?: string;
  /** Its service port when the protocol gives one, for `network.port`. */
  port?: number;
  /** The protocol's own facts, placed under `network.<protocol>` (plain JSON values only). */
  facts: Readonly<Record<string, unknown>>;
  /** How long the announcement stays fresh, in milliseconds from when it was heard (TTL, max-age). */
  freshMs: number;
}

/** What a running protocol is given. */
export interface DiscoveryContext {
  /** A peripheral was announced or answered (again): fresh for `freshMs` from now. */
  heard(announcement: Announcement): void;
  /** A peripheral said it is leaving (mDNS goodbye, ssdp:byebye, WS-Discovery Bye). */
  left(protocol: NetworkProtocol, id: string): void;
  log: Logger;
  /**
   * The IPv4 addresses of the interfaces the config allows: a protocol joins its multicast group
   * and sends only on these, never on any other interface.
   */
  interfaceAddresses: readonly string[];
  /**
   * Whether a sender is on the subnet of an allowed interface. A socket bound to a multicast
   * port also hears groups joined on other interfaces (by this or another program): a protocol
   * drops whatever comes from a sender this says no to.
   */
  onLink(address: string): boolean;
  /** One on-link address of each peripheral the other protocols hear now (hosts a TCP probe may confirm). */
  heardHosts(): readonly string[];
}

/**
 * One protocol, running. It sends nothing before `start` and nothing after `stop`; whatever
 * arrives (malformed, huge, a flood) is bounded and dropped, never thrown out of a socket handler.
 */
export interface Discoverer {
  /**
   * Starts listening and asks a first time for what `blocks` (this protocol's
   * `detect.network.<protocol>` block of each loaded profile) name; resolves once the sockets
   * are bound and the first query is sent.
   */
  start(blocks: readonly unknown[]): Promise<void>;
  /** The profiles changed: ask for what the new blocks name, stop asking for what they no longer do. */
  setBlocks(blocks: readonly unknown[]): void;
  /** Asks again now (the source calls it before a peripheral's announcement goes stale). */
  query(): void;
  stop(): Promise<void>;
}

/**
 * A protocol, whole, as the network source assembles it: its `detect.network.<protocol>` block
 * and `network.<protocol>.*` facts (for the profile schema and validation), how a block is
 * checked against a peripheral's facts, and the running protocol. `Block` is the block after
 * the profile schema has accepted it; `Config` its settings under `sources.network.<protocol>`.
 */
export interface ProtocolDefinition<Block = unknown, Config extends object = Record<string, unknown>> {
  protocol: NetworkProtocol;
  description: string;
  /** Schema of `detect.network.<protocol>`. */
  detectSchema: JsonSchema;
  /** Every fact `network.<protocol>.<name>` with what it holds. */
  facts: Readonly<Record<string, string>>;
  /**
   * Schemas of the facts whose value is not a string or null (a list, a map, a number), for the
   * checks on a test's facts.
   */
  factSchemas?: Readonly<Record<string, JsonSchema>>;
  /** What a peripheral is, in a few words from its `network.<protocol>` facts, for `engine list`. */
  describe?(facts: Readonly<Record<string, unknown>>): string;
  /** Checks of its block beyond the schema (a pattern that cannot run), reported at `context.at`, the block's path. */
  lint?(block: Record<string, unknown>, context: SourceLintContext): void;
  /** Schema of its settings under `sources.network.<protocol>`, if it has any. */
  configSchema?: JsonSchema;
  /** Why the block does not hold for a peripheral's `network.<protocol>` facts, or undefined when it does. */
  mismatch(block: Block, facts: Readonly<Record<string, unknown>>): string | undefined;
  /** `config` as the engine config gives it (`{}` when absent): the protocol fills its own defaults. */
  create(config: Config, context: DiscoveryContext): Discoverer;
}
