import type { JsonSchema } from '../core/json-schema.js';

/**
 * What a device source declares about itself: the `detect.<kind>` block it reads from a profile
 * and the facts it supplies under `<kind>.*`. The profile schema and the validator's fact checks
 * are assembled from these, so they cannot drift apart.
 */
export interface SourceDefinition {
  /** The key under `detect` and the root of its facts, e.g. `usb`. */
  kind: string;
  description: string;
  /** Schema of the `detect.<kind>` block. */
  detectSchema: JsonSchema;
  /** Every fact `<kind>.<name>` with what it holds. */
  facts: Readonly<Record<string, string>>;
  /** Schema of this source's settings under `sources.<kind>` in the engine config, if it has any. */
  configSchema?: JsonSchema;
}

/** A glob on an absolute path, shared by the sources that match paths. */
export function pathGlobSchema(description: string, example: string): JsonSchema {
  return {
    type: 'string',
    pattern: '^/',
    description: `${description} Glob: \`*\` and \`?\` stay within one path segment, \`**\` crosses them, \`[abc]\` and \`{a,b}\` as usual.`,
    examples: [example],
  };
}
