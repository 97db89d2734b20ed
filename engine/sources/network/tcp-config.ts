import type { WithDefaults } from '../../core/from-schema.js';
import { DEFAULT_SMALLEST_PREFIX, LARGE_RANGE_SMALLEST_PREFIX } from './tcp-targets.js';

/** Schema of `sources.network.tcp`: which hosts are probed, how often, how many at once. */
export const tcpConfigSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'The TCP probe. It connects only to the hosts listed here and, unless turned off, to the peripherals the other protocols hear: nothing is scanned by default.',
  properties: {
    hosts: {
      type: 'array',
      maxItems: 256,
      default: [],
      items: { type: 'string', minLength: 1, maxLength: 253 },
      description: `Hosts to probe on every port the profiles name: IPv4 or IPv6 addresses, host names, and IPv4 ranges in CIDR notation up to a /${DEFAULT_SMALLEST_PREFIX} (254 hosts; see allowLargeRanges). An entry that is none of these is logged and left out.`,
      examples: [['192.168.1.20', 'plc.local', '10.0.5.0/28']],
    },
    allowLargeRanges: {
      type: 'boolean',
      default: false,
      description: `Accept ranges wider than a /${DEFAULT_SMALLEST_PREFIX}, up to a /${LARGE_RANGE_SMALLEST_PREFIX} (65,534 hosts, each connected to every interval): only for a network the gateway owns.`,
    },
    probeHeardHosts: {
      type: 'boolean',
      default: true,
      description:
        'Also probe the addresses of the peripherals mDNS, SSDP and WS-Discovery hear (a Modbus device that announces itself is confirmed and identified).',
    },
    intervalMs: {
      type: 'integer',
      minimum: 200,
      maximum: 3600000,
      default: 30000,
      description:
        'How often every target is probed again. A peripheral that stops answering is gone after about two and a half intervals.',
    },
    concurrency: {
      type: 'integer',
      minimum: 1,
      maximum: 256,
      default: 16,
      description: 'How many connections are open at once.',
    },
    connectTimeoutMs: {
      type: 'integer',
      minimum: 100,
      maximum: 60000,
      default: 2000,
      description: 'How long a connection may take before the host counts as not answering.',
    },
  },
} as const;

/** The `sources.network.tcp` settings, with the schema's defaults filled in. */
export type TcpSettings = WithDefaults<typeof tcpConfigSchema>;
