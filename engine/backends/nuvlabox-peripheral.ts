import type { JsonSchema } from '../sources/source-definition.js';

const nonBlank = { type: 'string', pattern: '\\S' };

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
    name: { type: 'string' },
    description: { type: 'string' },
    interface: { type: 'string', description: 'USB, Serial, Bluetooth, Network, ...' },
    vendor: { type: 'string' },
    product: { type: 'string' },
    'serial-number': { type: 'string' },
    'device-path': { type: 'string' },
    'video-device': { type: 'string' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    'local-data-gateway-endpoint': { type: 'string' },
    'data-gateway-enabled': { type: 'boolean' },
    'raw-data-sample': { type: 'string' },
    'additional-assets': {
      type: 'object',
      additionalProperties: false,
      properties: {
        devices: { type: 'array', items: { type: 'string' } },
        libraries: { type: 'array', items: { type: 'string' } },
      },
    },
    resources: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['unit', 'capacity'],
        properties: { unit: { type: 'string' }, capacity: { type: 'string' }, load: { type: 'number' } },
      },
    },
  },
};

