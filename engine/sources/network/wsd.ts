import type { FromSchema } from '../../core/from-schema.js';
import { withDefaults } from '../../core/with-defaults.js';
import { lintGlob } from '../shared/glob-lint.js';
import type { ProtocolDefinition } from './discovery.js';
import { wsdMismatch, type WsdBlock } from './wsd-detect.js';
import { FRESH_PROBE_INTERVALS, WSD_GROUP, WSD_PORT, WsdDiscoverer } from './wsd-discoverer.js';
import { WSD_TYPE_NAMESPACES, WSD_TYPE_PATTERN } from './wsd-types.js';

const knownPrefixes = Object.entries(WSD_TYPE_NAMESPACES)
  .map(([prefix, uri]) => `\`${prefix}\` (${uri})`)
  .join(', ');

const wsdConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    probeIntervalMs: {
      type: 'integer',
      minimum: 1000,
      maximum: 3_600_000,
      default: 30_000,
      description: `How often the types the profiles name are probed for (NuvlaEdge's network manager polls every 30 s). WS-Discovery has no time-to-live: a peripheral stays present for ${FRESH_PROBE_INTERVALS} intervals after it last answered or said Hello, and goes at once when it says Bye.`,
    },
    maxEndpoints: {
      type: 'integer',
      minimum: 1,
      maximum: 100_000,
      default: 256,
      description:
        'How many endpoints are remembered at most: beyond, a new endpoint is ignored (with a warning once a minute) until one goes, so a flood of made-up endpoints cannot grow memory.',
    },
    maxEndpointsPerAddress: {
      type: 'integer',
      minimum: 1,
      maximum: 100_000,
      default: 32,
      description:
        'How many endpoints are remembered at most from one sender address, so that one host cannot fill the table and keep the others out.',
    },
  },
} as const;

/** The `sources.network.wsd` settings of the config file. */
export type WsdConfig = FromSchema<typeof wsdConfigSchema>;

/**
 * WS-Discovery: ONVIF cameras, WSD printers and scanners, Windows and Samba hosts (wsdd). Probes
 * for the types the profiles name, hears the answers and every Hello and Bye.
 */
export const wsdProtocol: ProtocolDefinition<WsdBlock, WsdConfig> = {
  protocol: 'wsd',
  description: `WS-Discovery (SOAP-over-UDP on ${WSD_GROUP}:${WSD_PORT}): ONVIF cameras, WSD printers and scanners, Windows and Samba hosts.`,
  detectSchema: {
    type: 'object',
    description:
      'Matches a peripheral found by WS-Discovery (a Probe for the types named, and every Hello and Bye). Every key given must hold. Empty (`wsd: {}`): every peripheral that answers a Probe for any type.',
    additionalProperties: false,
    properties: {
      types: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        description: `Types the peripheral must all announce; the engine probes for each. A type is a qualified name: one of the prefixes ${knownPrefixes}, or its namespace in braces (\`{http://example.com/ns}Sensor\`), whatever prefix the peripheral writes it with.`,
        items: { type: 'string', pattern: WSD_TYPE_PATTERN },
        examples: [['dn:NetworkVideoTransmitter'], ['wprt:PrintDeviceType'], ['wsdp:Device', 'pub:Computer']],
      },
      scopes: {
        type: 'array',
        minItems: 1,
        description:
          "Globs that must each match one of the peripheral's scopes, case-insensitive (`*` any run, `?` one character, `[...]` a set). ONVIF cameras say who they are in scopes: `onvif://www.onvif.org/name/*`, `onvif://www.onvif.org/hardware/*`, `onvif://www.onvif.org/Profile/Streaming`. Checked on the answers, not sent in the Probe.",
        items: { type: 'string', minLength: 1 },
        examples: [['onvif://www.onvif.org/name/*'], ['onvif://www.onvif.org/Profile/Streaming']],
      },
    },
    examples: [{ types: ['dn:NetworkVideoTransmitter'], scopes: ['onvif://www.onvif.org/Profile/Streaming'] }],
  },
  facts: {
    endpoint:
      "the endpoint reference's address (`urn:uuid:...`, lowercase), the peripheral's identity: the same when its address changes",
    uuid: 'the UUID of a `urn:uuid:` endpoint reference, without the prefix; null for another kind of reference',
    types: `the types it announces, \`dn:NetworkVideoTransmitter\` for a namespace with a known prefix (${Object.keys(WSD_TYPE_NAMESPACES).join(', ')}), \`{namespace}Name\` for others`,
    scopes:
      'its scopes, as announced (ONVIF: `onvif://www.onvif.org/name/...`, `.../hardware/...`, `.../location/...`)',
    xaddrs: 'the URLs of its services (ONVIF: the device service, `http://<address>/onvif/device_service`)',
    metadataVersion:
      'its metadata version, which it raises when its types, scopes or XAddrs change; null when not said',
    onvif:
      'what an ONVIF device says of itself in its scopes, percent-decoded: `{name, hardware, profiles}` (`AXIS P1343`, `P1343`, `[Streaming]`; name and hardware null when absent); null when it has no `onvif://www.onvif.org/` scope',
  },
  factSchemas: {
    endpoint: { type: 'string', minLength: 1 },
    uuid: { type: ['string', 'null'] },
    types: { type: 'array', items: { type: 'string' }, description: 'Empty when absent.' },
    scopes: { type: 'array', items: { type: 'string' }, description: 'Empty when absent.' },
    xaddrs: { type: 'array', items: { type: 'string' }, description: 'Empty when absent.' },
    metadataVersion: { type: ['integer', 'null'], minimum: 0 },
    onvif: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        name: { type: ['string', 'null'] },
        hardware: { type: ['string', 'null'] },
        profiles: { type: 'array', items: { type: 'string' } },
      },
    },
  },
  describe: (facts) => {
    const onvif = facts.onvif as { name?: string | null } | null | undefined;
    const types = Array.isArray(facts.types) ? facts.types.join(' ') : '';
    return `${onvif?.name ?? String(facts.endpoint)}${types ? ` (${types})` : ''}`;
  },
  configSchema: wsdConfigSchema,
  lint(block, { at, report }) {
    if (Array.isArray(block.scopes))
      block.scopes.forEach((pattern, index) => lintGlob([...at, 'scopes', index], pattern, 'text', report));
  },
  mismatch: wsdMismatch,
  create: (config, context) => new WsdDiscoverer(withDefaults(wsdConfigSchema, config), context),
};
