import { isPlainObject } from '../../core/plain-object.js';
import { globHolds } from '../shared/glob-holds.js';
import { lintGlob } from '../shared/glob-lint.js';
import type { ProtocolDefinition } from './discovery.js';
import { MdnsBrowser } from './mdns-browser.js';

/** A profile's `detect.network.mdns` block, after the profile schema has accepted it. */
export interface MdnsDetect {
  /** The DNS-SD service type browsed, e.g. `_ipp._tcp`. */
  type: string;
  /** Glob on the instance name (`Office Printer`). */
  instance?: string;
  /** Globs on TXT values, by key (lowercase). */
  txt?: Record<string, string>;
}

const SERVICE_TYPE_PATTERN = '^_[A-Za-z0-9-]{1,63}\\._(tcp|udp)$';

const textGlob = (what: string, example: string) => ({
  type: 'string',
  minLength: 1,
  description: `Glob on ${what}, case-insensitive and anchored (\`*\` any run, \`?\` one character, \`[...]\` a set).`,
  examples: [example],
});

/** Why the block does not hold for a peripheral's `network.mdns` facts, or undefined when it does. */
export function mdnsMismatch(block: MdnsDetect, facts: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof facts.type !== 'string' || facts.type.toLowerCase() !== block.type.toLowerCase())
    return `network.mdns.type is ${JSON.stringify(facts.type ?? null)}, not ${block.type}`;
  const instance = typeof facts.instance === 'string' ? facts.instance : null;
  if (block.instance !== undefined && !globHolds(block.instance, instance, 'text'))
    return `network.mdns.instance is ${JSON.stringify(instance)}, not ${JSON.stringify(block.instance)}`;
  const txt = isPlainObject(facts.txt) ? facts.txt : {};
  for (const [key, pattern] of Object.entries(block.txt ?? {})) {
    const value = txt[key.toLowerCase()];
    // A key without a value (`key` alone, a DNS-SD boolean) holds only for `*`.
    const holds = value === true ? pattern === '*' : typeof value === 'string' && globHolds(pattern, value, 'text');
    if (!holds) return `network.mdns.txt.${key} is ${JSON.stringify(value ?? null)}, not ${JSON.stringify(pattern)}`;
  }
  return undefined;
}

export const mdnsProtocol: ProtocolDefinition<MdnsDetect> = {
  protocol: 'mdns',
  description:
    'mDNS/DNS-SD (Bonjour, Avahi): services of the types profiles name, browsed and resolved on the allowed interfaces.',
  detectSchema: {
    type: 'object',
    description:
      'Matches a DNS-SD service instance announced over mDNS. The source browses `type` (PTR queries to 224.0.0.251:5353, and the announcements responders send unasked), resolves each instance (SRV, TXT, A/AAAA) and holds it present while its records are fresh (their TTL; a goodbye removes it at once).',
    additionalProperties: false,
    required: ['type'],
    properties: {
      type: {
        type: 'string',
        pattern: SERVICE_TYPE_PATTERN,
        description: 'The DNS-SD service type, without `.local`: `_ipp._tcp`, `_zigbee-coordinator._tcp`.',
        examples: ['_ipp._tcp', '_zigbee-coordinator._tcp'],
      },
      instance: textGlob('the instance name (the first label, `Office Printer`)', 'SLZB-06*'),
      txt: {
        type: 'object',
        description:
          'Globs on TXT values by key (keys compare ignoring case); every key given must be present and match. A key sent without `=` (a DNS-SD flag) matches only `*`.',
        additionalProperties: textGlob('the TXT value', 'znp'),
        examples: [{ radio_type: 'znp' }],
      },
    },
    examples: [{ type: '_zigbee-coordinator._tcp', txt: { radio_type: 'znp' } }, { type: '_ipp._tcp' }],
  },
  facts: {
    type: 'the service type browsed, as the profile names it: `_ipp._tcp`',
    instance: 'the instance name, its first label: `Office Printer`',
    name: 'the whole service instance name: `Office Printer._ipp._tcp.local` (also `network.id`)',
    slug: 'the instance name made safe as a backend identifier (`[A-Za-z0-9._-]`): other characters become `-` and, when any did, 8 hex digits of a hash of the name follow: `Office-Printer-5f1c2e9a._ipp._tcp.local`',
    txt: 'the TXT record as a map: keys lowercased, values as text (a key without `=` is true)',
  },
  factSchemas: {
    type: { type: 'string', pattern: SERVICE_TYPE_PATTERN },
    instance: { type: 'string' },
    name: { type: 'string' },
    slug: { type: 'string' },
    txt: { type: 'object', additionalProperties: { type: ['string', 'boolean'] } },
  },
  describe: (facts) => `${String(facts.instance)} (${String(facts.type)})`,
  lint(block, { at, report }) {
    lintGlob([...at, 'instance'], block.instance, 'text', report);
    if (isPlainObject(block.txt))
      for (const [key, pattern] of Object.entries(block.txt)) lintGlob([...at, 'txt', key], pattern, 'text', report);
  },
  mismatch: mdnsMismatch,
  create: (_config, context) => new MdnsBrowser(context),
};
