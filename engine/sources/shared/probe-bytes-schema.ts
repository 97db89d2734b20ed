import type { JsonSchema } from '../../core/json-schema.js';

// Applies when the value is an object; `type` and `description` are set by the user of it.
const hexBytesSchema = (description: string, example: string): JsonSchema => ({
  additionalProperties: false,
  required: ['hex'],
  properties: { hex: { type: 'string', minLength: 1, description, examples: [example] } },
});

/**
 * Schema of a probe's `write` (the serial probe's and the TCP probe's): a string sent as Latin-1
 * bytes, or `{hex}` pairs. `example` is one request in hex pairs.
 */
export const probeWriteSchema = (example: string, textExample: string): JsonSchema => ({
  ...hexBytesSchema('Bytes as hex pairs, spaces allowed.', example),
  type: ['string', 'object'],
  description:
    'Bytes to send first: a string (write it double-quoted so that YAML turns `\\r` into a carriage return) or `{hex: "..."}`. Empty or absent: only listen.',
  examples: [textExample, { hex: example }],
});

/**
 * Schema of a probe's `expect`: a linear-time regular expression on the reply read as Latin-1, or
 * `{hex}` with `??` for any byte. `groupsFact` names the fact its groups become.
 */
export const probeExpectSchema = (groupsFact: string, regexExample: string, hexExample: string): JsonSchema => ({
  ...hexBytesSchema('Expected bytes as hex pairs, `??` for any byte.', hexExample),
  type: ['string', 'object'],
  description: `What the reply must match: a regular expression on the reply read as Latin-1 text (its groups become \`${groupsFact}\`), or \`{hex: "..."}\` with \`??\` for any byte.`,
  examples: [regexExample, { hex: hexExample }],
});
