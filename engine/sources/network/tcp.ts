import type { JsonSchema } from '../../core/json-schema.js';
import { withDefaults } from '../../core/with-defaults.js';
import { isPlainObject } from '../../core/plain-object.js';
import { nullable } from '../shared/fact-schema.js';
import { lintProbeBytes } from '../shared/probe-bytes-lint.js';
import { probeExpectSchema, probeWriteSchema } from '../shared/probe-bytes-schema.js';
import type { ProtocolDefinition } from './discovery.js';
import { MODBUS_DEVICE_ID_REQUEST, MODBUS_OBJECT_NAMES } from './modbus-device-id.js';
import { DEFAULT_MAX_REPLY_BYTES, DEFAULT_REPLY_TIMEOUT_MS, tcpMismatch, type TcpBlock } from './tcp-block.js';
import { tcpConfigSchema } from './tcp-config.js';
import { TcpDiscoverer } from './tcp-discoverer.js';

const detectSchema: JsonSchema = {
  type: 'object',
  description:
    'Confirms a peripheral by talking to it over TCP (the network counterpart of the serial probe): connects to each host of `sources.network.tcp.hosts` and each host another protocol hears, on `port`, writes `write`, reads until `expect` matches (and `decode` accepts the reply), `timeoutMs` passes or `maxReplyBytes` are read, and closes.',
  additionalProperties: false,
  required: ['port'],
  // Something must judge the reply: a pattern, a decoder, or both. (The subschemas name their key
  // again for ajv's strict mode.)
  if: { required: ['decode'], properties: { decode: true } },
  else: { required: ['expect'], properties: { expect: true } },
  properties: {
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'TCP port to connect to.', examples: [502] },
    write: probeWriteSchema(MODBUS_DEVICE_ID_REQUEST, 'GET / HTTP/1.0\r\n\r\n'),
    expect: probeExpectSchema('network.tcp.groups', '^HTTP/1\\.[01] 200', '?? ?? 00 00 ?? ?? ?? 2b 0e'),
    decode: {
      enum: ['modbus-device-id'],
      description: `Reads the reply as a protocol and puts its fields into the facts. \`modbus-device-id\`: a Modbus TCP Read Device Identification reply (send \`{hex: "${MODBUS_DEVICE_ID_REQUEST}"}\`), whose objects become \`network.tcp.modbus.{vendorName, productCode, revision, ...}\`; a reply that is not one (an exception, a malformed frame) does not match.`,
    },
    timeoutMs: {
      type: 'integer',
      minimum: 50,
      maximum: 60000,
      default: DEFAULT_REPLY_TIMEOUT_MS,
      description: 'How long to wait, once connected, for a matching reply, in milliseconds.',
    },
    maxReplyBytes: {
      type: 'integer',
      minimum: 16,
      maximum: 65536,
      default: DEFAULT_MAX_REPLY_BYTES,
      description: 'Bytes read before the probe gives up on a match (a peer that floods).',
    },
  },
  examples: [{ port: 502, write: { hex: MODBUS_DEVICE_ID_REQUEST }, decode: 'modbus-device-id' }],
};

/**
 * The TCP probe as a protocol of the network source: a peripheral is a `host:port` whose reply to
 * a profile's request matches, heard again every round and gone once it stops answering.
 */
export const tcpProtocol: ProtocolDefinition<TcpBlock> = {
  protocol: 'tcp',
  description:
    'Connects to configured hosts and to the peripherals other protocols hear, sends bytes, and matches the reply (Modbus TCP device identification decoded).',
  detectSchema,
  facts: {
    host: 'the host probed, as configured or heard: an address or a host name',
    port: 'the TCP port that answered',
    request: 'the bytes sent, as lowercase hex pairs separated by spaces',
    response: 'the reply as read until it matched, as Latin-1 text',
    hex: 'the same reply as lowercase hex pairs separated by spaces',
    groups: 'what the groups of a regex `expect` captured, or the bytes at the `??` places of a hex one',
    modbus:
      'with `decode: modbus-device-id`, the device identification: {unitId, conformityLevel, vendorName, productCode, revision, vendorUrl, productName, modelName, userApplicationName}, each string null when the device did not send it; else null',
  },
  factSchemas: {
    host: { type: 'string' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    groups: { type: 'array', items: nullable('string'), description: 'Empty when absent.' },
    modbus: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        unitId: { type: 'integer', minimum: 0, maximum: 255 },
        conformityLevel: { type: 'integer', minimum: 0, maximum: 255 },
        ...Object.fromEntries(MODBUS_OBJECT_NAMES.map((name) => [name, nullable('string')])),
      },
    },
  },
  describe: (facts) => {
    const modbus = isPlainObject(facts.modbus) ? facts.modbus : undefined;
    const identity = [modbus?.vendorName, modbus?.productCode, modbus?.revision].filter(
      (part) => typeof part === 'string',
    );
    return identity.length ? `Modbus ${identity.join(' ')}` : `${String(facts.host)}:${String(facts.port)}`;
  },
  configSchema: tcpConfigSchema,
  // The checks of the serial probe's bytes: expect runs in linear time, hex is whole bytes, escapes are meant.
  lint: (block, { yaml, at, report }) => lintProbeBytes(block, at, yaml, report),
  mismatch: tcpMismatch,
  create: (config, context) => new TcpDiscoverer(withDefaults(tcpConfigSchema, config), context),
};
