import type { Facts } from '../../core/facts.js';
import type { JsonSchema } from '../../core/json-schema.js';
import { isPlainObject } from '../../core/plain-object.js';
import type { NetworkProtocol, ProtocolDefinition } from './discovery.js';
import { PROTOCOLS } from './protocols.js';

/** A profile's `detect.network` block: exactly one protocol's block, e.g. `{ mdns: { type: "_ipp._tcp" } }`. */
export type NetworkDetect = Partial<Record<NetworkProtocol, unknown>>;

/** The protocol a `detect.network` block names, with that protocol's block. */
export function protocolOfBlock(block: unknown): { definition: ProtocolDefinition; block: unknown } | undefined {
  if (!isPlainObject(block)) return undefined;
  for (const definition of PROTOCOLS) {
    if (block[definition.protocol] !== undefined) return { definition, block: block[definition.protocol] };
  }
  return undefined;
}

/** Each protocol's blocks among the `detect.network` blocks of the loaded profiles. */
export function blocksByProtocol(blocks: readonly unknown[]): Map<NetworkProtocol, unknown[]> {
  const byProtocol = new Map<NetworkProtocol, unknown[]>();
  for (const block of blocks) {
    const found = protocolOfBlock(block);
    if (!found) continue;
    const list = byProtocol.get(found.definition.protocol) ?? [];
    list.push(found.block);
    byProtocol.set(found.definition.protocol, list);
  }
  return byProtocol;
}

/** Schema of `detect.network`: one key, a protocol's name, holding that protocol's block. */
export function networkDetectSchema(): JsonSchema {
  const names = PROTOCOLS.map((definition) => `\`${definition.protocol}\``).join(', ');
  return {
    type: 'object',
    description: `Matches a peripheral on the network, as one discovery protocol hears it: exactly one of ${names}.`,
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    properties: Object.fromEntries(PROTOCOLS.map((definition) => [definition.protocol, definition.detectSchema])),
    examples: PROTOCOLS.flatMap((definition) =>
      ((definition.detectSchema.examples as unknown[] | undefined) ?? []).slice(0, 1).map((example) => ({
        [definition.protocol]: example,
      })),
    ),
  };
}

/** Why a `detect.network` block does not hold for a peripheral's facts, or undefined when it does. */
export function networkMismatch(block: NetworkDetect, facts: Facts): string | undefined {
  const network = facts.network;
  if (!network) return 'not a network peripheral';
  const found = protocolOfBlock(block);
  if (!found) return 'detect.network names no protocol';
  const { protocol } = found.definition;
  if (network.protocol !== protocol) return `network.protocol is ${network.protocol}, not ${protocol}`;
  const own = network[protocol];
  return found.definition.mismatch(found.block, isPlainObject(own) ? own : {});
}
