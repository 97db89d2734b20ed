// Shared by nuvlabox-agent and nuvlaedge-files, which deliver the same Nuvla document: its
// schema, and the document sent for a mapped payload.
import type { JsonSchema } from '../../core/json-schema.js';
import type { Payload } from '../backend.js';

/**
 * Nuvla refuses blank strings everywhere in this document, and the NuvlaEdge agent's model
 * refuses some of them before Nuvla sees them (docs/backends/nuvlabox-agent.md).
 */
const nonBlank = { type: 'string', pattern: '\\S' };
const nonBlankList = { type: 'array', minItems: 1, items: nonBlank };

/**
 * The `nuvlabox-peripheral` document as Nuvla accepts it (schema v1/v2): unknown keys are
 * rejected, and `parent` and `version` are the agent's to set, never a manager's.
 */
export const nuvlaboxPeripheralSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['identifier', 'available', 'classes'],
  properties: {
    identifier: { ...nonBlank, description: 'Unique per host.' },
    available: { type: 'boolean' },
    classes: { type: 'array', items: nonBlank, description: 'Free text, e.g. video, gps, zwave, or USB class names.' },
    name: nonBlank,
    description: nonBlank,
    interface: { ...nonBlank, description: 'USB, Serial, Bluetooth, Network, ...' },
    vendor: nonBlank,
    product: nonBlank,
    'serial-number': nonBlank,
    'device-path': nonBlank,
    'video-device': nonBlank,
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    'local-data-gateway-endpoint': nonBlank,
    'data-gateway-enabled': { type: 'boolean' },
    'raw-data-sample': nonBlank,
    'additional-assets': {
      type: 'object',
      additionalProperties: false,
      properties: { devices: nonBlankList, libraries: nonBlankList },
    },
    resources: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['unit', 'capacity'],
        properties: { unit: nonBlank, capacity: nonBlank, load: { type: 'number', minimum: 0 } },
      },
    },
  },
};

const isBlank = (value: unknown): boolean => typeof value === 'string' && value.trim() === '';

/**
 * The document sent for a mapped payload: a field whose value is an empty or whitespace-only
 * string is left out, as if it had come out null, and so are blank `classes` items. A USB
 * device with an empty serial-number string is then registered without one instead of being
 * refused by Nuvla (or, through NuvlaEdge, aborting the agent's whole pass).
 */
export function withoutBlanks(payload: Payload): Payload {
  const document: Payload = {};
  for (const [field, value] of Object.entries(payload)) {
    if (isBlank(value)) continue;
    document[field] = field === 'classes' && Array.isArray(value) ? value.filter((item) => !isBlank(item)) : value;
  }
  return document;
}
