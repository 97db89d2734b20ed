import type { JsonSchema } from '../core/json-schema.js';

/**
 * The schema of `map.identifier`: one identifier (a string, or a JSON-logic expression giving
 * one), or a list of them, the candidates in order. The list's constraints apply to lists only,
 * so a single identifier is written as it always was.
 */
export const IDENTIFIER_SCHEMA: JsonSchema = {
  description:
    "The device's identifier, unique per backend: a string or a JSON-logic expression giving one. Or a list of them, the candidates in order (e.g. the serial number, then the port path): a device goes by the first that comes out as a non-blank string, and when two present devices would share it, each goes by the first of its later candidates that tells them apart. Without it: `vid:pid:serial`, else `vid:pid@portPath`, or the path.",
  type: ['string', 'object', 'array'],
  minItems: 1,
  items: {
    description: 'An identifier candidate: a string, or a JSON-logic expression (one operator key) giving one.',
    type: ['string', 'object'],
    pattern: '\\S',
    minProperties: 1,
    maxProperties: 1,
  },
  examples: [[{ cat: ['zigbee:', { var: 'usb.serialNumber' }] }, { cat: ['zigbee@', { var: 'usb.portPath' }] }]],
};

/** Whether a mapped value can serve as an identifier: a string with something besides blanks. */
export const isIdentifier = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/**
 * The identifier candidates a map's evaluated `identifier` gives, in order: the one identifier,
 * or the list's items that come out as identifiers (null, blank and non-string items are
 * skipped: a device without a serial number is not told apart by one). Duplicates are dropped.
 */
export function identifierCandidates(evaluated: unknown): string[] {
  const items = Array.isArray(evaluated) ? evaluated : [evaluated];
  return [...new Set(items.filter(isIdentifier))];
}
