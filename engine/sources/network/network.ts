import type { JsonSchema } from '../../core/json-schema.js';
import { createLogger } from '../../core/log.js';
import { isPlainObject } from '../../core/plain-object.js';
import { nullable } from '../shared/fact-schema.js';
import type { SourceDefinition } from '../source-definition.js';
import { networkDetectSchema, networkMismatch, protocolOfBlock, type NetworkDetect } from './network-detect.js';
import {
  DEFAULT_INTERFACES_RECHECK_MS,
  DEFAULT_MAX_NETWORK_DEVICES,
  NetworkSource,
  type NetworkConfig,
} from './network-source.js';
import { PROTOCOLS } from './protocols.js';

/** How long `engine list` listens for peripherals: mDNS responders answer within a second. */
export const ENUMERATE_LISTEN_MS = 2500;

/** A test's facts for one protocol: its declared facts, strings or null unless it says otherwise. */
const protocolFactsSchema = (definition: (typeof PROTOCOLS)[number]): JsonSchema => ({
  type: 'object',
  description: definition.description,
  additionalProperties: false,
  properties: Object.fromEntries(
    Object.entries(definition.facts).map(([name, description]) => [
      name,
      { description, ...(definition.factSchemas?.[name] ?? nullable('string')) },
    ]),
  ),
});

const PROTOCOL_NAMES = PROTOCOLS.map((definition) => definition.protocol);

export const networkSource: SourceDefinition<NetworkConfig, NetworkDetect, 'network'> = {
  kind: 'network',
  description: `Peripherals on the local network, as discovery protocols announce them (${PROTOCOL_NAMES.join(', ')}); off unless a profile has a \`detect.network\` block.`,
  detectSchema: networkDetectSchema(),
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      interfaces: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { type: 'string', minLength: 1 },
        description:
          'The interfaces (by name) the source listens and sends on: it joins multicast groups and sends only from their IPv4 addresses, and drops what comes from senders off their subnets. Absent: the interface of the IPv4 default route alone (never loopback). Discovery traffic is link-local multicast and asks only for what the profiles name; nothing scans address ranges.',
        examples: [['eth0'], ['eth0', 'wlan0']],
      },
      interfacesRecheckMs: {
        type: 'integer',
        minimum: 100,
        default: DEFAULT_INTERFACES_RECHECK_MS,
        description:
          'How often the interfaces are looked at again while a profile asks for network discovery: an engine started before its address was set (DHCP, a cable plugged in later) starts discovery then, and one whose address changed moves to the new one. Only while some profile has a `detect.network` block.',
      },
      maxDevices: {
        type: 'integer',
        minimum: 1,
        default: DEFAULT_MAX_NETWORK_DEVICES,
        description:
          'The most peripherals held at once; announcements of more are ignored (a flood of made-up announcements cannot grow memory or the backends).',
      },
      ...Object.fromEntries(
        PROTOCOLS.flatMap((definition) =>
          definition.configSchema ? [[definition.protocol, definition.configSchema]] : [],
        ),
      ),
    },
  },
  facts: {
    protocol: `the protocol that heard it: ${PROTOCOL_NAMES.join(', ')}`,
    id: 'its identity within the protocol, the same when its address changes (an mDNS instance name, an SSDP UDN, a WS-Discovery endpoint reference)',
    addresses: 'its addresses as heard, IPv4 first',
    host: 'its host name when the protocol gives one (mDNS `printer.local`), else null',
    port: 'its service port when the protocol gives one, else null',
    ...Object.fromEntries(PROTOCOLS.map((definition) => [definition.protocol, definition.description])),
  },
  requiredFacts: ['id'],
  factSchemas: {
    protocol: { enum: PROTOCOL_NAMES, description: 'Given by which protocol block the test has when absent.' },
    id: { type: 'string', minLength: 1 },
    addresses: { type: 'array', items: { type: 'string' }, description: 'Empty when absent.' },
    port: nullable('integer'),
    ...Object.fromEntries(PROTOCOLS.map((definition) => [definition.protocol, protocolFactsSchema(definition)])),
  },
  // Its globs sit inside the protocol blocks: each protocol's lint compiles its own.
  globKeys: {},
  create: (config, setup) => new NetworkSource(config, setup, setup.blocks, PROTOCOLS),
  async enumerate(blocks, config = {}) {
    if (blocks.length === 0) return [];
    const source = new NetworkSource(config, { emit: () => undefined, log: createLogger('error') }, blocks, PROTOCOLS);
    try {
      await source.start();
      await new Promise((resolve) => setTimeout(resolve, ENUMERATE_LISTEN_MS));
      return source.devices();
    } finally {
      await source.stop();
    }
  },
  describe({ network }, key) {
    if (!network) return key;
    const definition = PROTOCOLS.find((candidate) => candidate.protocol === network.protocol);
    const own = network[network.protocol];
    const what = definition?.describe && isPlainObject(own) ? definition.describe(own) : network.id;
    const where = network.addresses[0] ?? network.host ?? '';
    return `network ${network.protocol} ${what}${where ? ` at ${where}${network.port ? `:${network.port}` : ''}` : ''}`;
  },
  mismatch: networkMismatch,
  lint(block, context) {
    const found = protocolOfBlock(block);
    if (found && isPlainObject(found.block))
      found.definition.lint?.(found.block, { ...context, at: [...context.at, found.definition.protocol] });
  },
  completeFacts(network) {
    const protocol = network.protocol ?? PROTOCOL_NAMES.find((name) => network[name] !== undefined);
    return { protocol, addresses: [], host: null, port: null, ...network };
  },
};
