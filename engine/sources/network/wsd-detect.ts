import { globHolds } from '../shared/glob-holds.js';

/** A profile's `detect.network.wsd` block, once the profile schema has accepted it. */
export interface WsdBlock {
  /** Types the peripheral must all announce, engine names (`dn:NetworkVideoTransmitter`). */
  types?: string[];
  /** Globs that must each match one of the peripheral's scopes. */
  scopes?: string[];
}

/** The first of the block's types the peripheral does not announce. */
export function missingType(block: WsdBlock, types: readonly string[]): string | undefined {
  return block.types?.find((type) => !types.includes(type));
}

/** Why the block does not hold for a peripheral's `network.wsd` facts, or undefined when it does. */
export function wsdMismatch(block: WsdBlock, facts: Readonly<Record<string, unknown>>): string | undefined {
  const types = stringList(facts.types);
  const missing = missingType(block, types);
  if (missing !== undefined) return `network.wsd.types lacks ${missing} (announces ${types.join(' ') || 'none'})`;
  const scopes = stringList(facts.scopes);
  const unmatched = block.scopes?.find((glob) => !scopes.some((scope) => globHolds(glob, scope, 'text')));
  if (unmatched !== undefined) return `network.wsd.scopes: none matches ${JSON.stringify(unmatched)}`;
  return undefined;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item) => typeof item === 'string') : [];
}

/**
 * The Probes that find what `blocks` name: one per type (a peripheral answers a Probe for one of
 * its types; wsdd answers only a Probe for `wsdp:Device` alone, not one listing two types), and
 * one for any type when a block names none. The blocks' scopes are checked on the answers, not
 * sent: a Probe's scopes match by URI prefix, a profile's by glob.
 */
export function probeTypes(blocks: readonly WsdBlock[], limit: number): string[][] {
  const types = new Set<string>();
  let any = false;
  for (const block of blocks) {
    if (!block.types?.length) any = true;
    for (const type of block.types ?? []) types.add(type);
  }
  const probes = [...types].slice(0, limit).map((type) => [type]);
  return any ? [[], ...probes] : probes;
}

/** Whether a peripheral with these types is one some block asks for (its scopes aside). */
export function typesWanted(blocks: readonly WsdBlock[], types: readonly string[]): boolean {
  return blocks.some((block) => missingType(block, types) === undefined);
}
