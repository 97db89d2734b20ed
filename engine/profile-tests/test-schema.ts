import { SOURCES } from '../sources/index.js';
import type { JsonSchema } from '../core/json-schema.js';

const NAME_PATTERN = '^[a-z0-9]+(-[a-z0-9]+)*$';
const nullable = (type: string): JsonSchema => ({ type: [type, 'null'] });
const hexId = (digits: number): JsonSchema => ({ type: 'string', pattern: `^[0-9a-f]{${digits}}$` });

/**
 * The facts whose type is not "a string or null", by `root.field`. The field names themselves
 * come from the sources' declarations, so a fact a source adds can be written in tests at once.
 */
const FACT_TYPES: Readonly<Record<string, JsonSchema>> = {
  'usb.vendorId': { ...hexId(4), description: 'Lowercase 4-digit hex, quoted, as the USB source reports it.' },
  'usb.productId': { ...hexId(4), description: 'Lowercase 4-digit hex, quoted, as the USB source reports it.' },
  'usb.busNumber': nullable('integer'),
  'usb.deviceAddress': nullable('integer'),
  'usb.interfaces': {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['number', 'class'],
      properties: {
        number: { type: 'integer', minimum: 0 },
        class: hexId(2),
        subclass: hexId(2),
        protocol: hexId(2),
        driver: nullable('string'),
        name: { ...nullable('string'), description: "The interface's own string, or null." },
        className: { type: 'string', description: 'Derived from `class` when absent.' },
      },
    },
  },
  'serial.interfaceNumber': nullable('integer'),
  'file.major': nullable('integer'),
  'file.minor': nullable('integer'),
};

/** The facts each source kind must report for a device to be one. */
const REQUIRED_FACTS: Readonly<Record<string, string[]>> = { usb: ['vendorId', 'productId'], serial: ['path'], file: ['path'] };

function sourceFactsSchema(kind: string, facts: Readonly<Record<string, string>>): JsonSchema {
  const properties = Object.fromEntries(
    Object.entries(facts).map(([field, description]) => [field, { description, ...(FACT_TYPES[`${kind}.${field}`] ?? nullable('string')) }]),
  );
  return { type: 'object', additionalProperties: false, required: REQUIRED_FACTS[kind] ?? [], properties };
}

const bytesSchema = (description: string): JsonSchema => ({
  type: ['string', 'object'],
  description,
  additionalProperties: false,
  required: ['hex'],
  properties: { hex: { type: 'string', pattern: '^\\s*([0-9a-fA-F]{2}\\s*)+$', description: 'Bytes as hex pairs, spaces allowed.' } },
  examples: ['$GPRMC,,V,,,,,,,,,,N*53\r\n', { hex: '06 01 10 01 15' }],
});

/** The schema of one test: facts in, the expected winner and payload (or no match) out. */
export function testItemSchema(): JsonSchema {
  const sourceFacts = Object.fromEntries(SOURCES.map((source) => [source.kind, sourceFactsSchema(source.kind, source.facts)]));
  return {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'facts', 'expect'],
    properties: {
      name: { type: 'string', minLength: 1, description: 'What the example shows; printed with its result.' },
      facts: {
        type: 'object',
        description: `The device as the sources report it (${SOURCES.map((source) => source.kind).join(', ')}), plus \`params\` and \`host\`. The device is a serial port if \`serial\` is given, else a USB device, else a path.`,
        additionalProperties: false,
        minProperties: 1,
        properties: {
          ...sourceFacts,
          params: { type: 'object', description: 'Per-gateway parameters, over those of `--config`.' },
          host: { type: 'object', additionalProperties: false, properties: { hostname: { type: 'string' }, arch: { type: 'string' } } },
        },
        examples: [{ usb: { vendorId: '1546', productId: '01a7', manufacturer: 'u-blox AG' }, serial: { path: '/dev/ttyACM0' } }],
      },
      probe: bytesSchema("The device's reply to a serial probe: text (Latin-1) or `{hex: \"...\"}`. Absent: the device does not answer, so no profile with a probe matches."),
      expect: {
        type: ['string', 'object'],
        description: '`no-match`, or what must hold of the match: the winning `profile`, a `payload` the mapped payload contains, `match: false` for no match.',
        pattern: '^no-match$',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          match: { type: 'boolean', description: 'Whether some profile matches; true when `profile` or `payload` is given.' },
          profile: { type: 'string', pattern: NAME_PATTERN, description: 'The profile that must win.' },
          payload: { type: 'object', description: 'Fields the payload must have, compared recursively; `null` means absent.' },
        },
        examples: ['no-match', { profile: 'gps-ublox', payload: { classes: ['gps'] } }],
      },
    },
  };
}

/** The `tests` key of a profile and of a test file. */
export function testListSchema(): JsonSchema {
  return {
    type: 'array',
    minItems: 1,
    description: 'Examples run by `engine test`: facts in, the expected winner and payload (or no match) out.',
    items: testItemSchema(),
  };
}

/** The schema of a `*.test.yaml` file. */
export function testFileSchema(): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Device profile tests',
    description: 'Examples for `engine test`, kept beside the profiles they exercise.',
    type: 'object',
    additionalProperties: false,
    required: ['tests'],
    properties: {
      profile: { type: 'string', pattern: NAME_PATTERN, description: 'The profile a test expecting a match names when its `expect` names none.' },
      description: { type: 'string' },
      tests: testListSchema(),
    },
  };
}
