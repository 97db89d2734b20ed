import { SOURCES } from '../sources/index.js';
import { nullable } from '../sources/shared/fact-schema.js';
import type { SourceDefinition } from '../sources/source-definition.js';
import type { JsonSchema } from '../core/json-schema.js';

const NAME_PATTERN = '^[a-z0-9]+(-[a-z0-9]+)*$';

/** A test's facts for one source: the facts it declares, strings or null unless it gives another schema. */
function sourceFactsSchema(source: SourceDefinition): JsonSchema {
  const properties = Object.fromEntries(
    Object.entries(source.facts).map(([field, description]) => [
      field,
      { description, ...(source.factSchemas?.[field] ?? nullable('string')) },
    ]),
  );
  return { type: 'object', additionalProperties: false, required: [...source.requiredFacts], properties };
}

const bytesSchema = (description: string): JsonSchema => ({
  type: ['string', 'object'],
  description,
  additionalProperties: false,
  required: ['hex'],
  properties: {
    hex: { type: 'string', pattern: '^\\s*([0-9a-fA-F]{2}\\s*)+$', description: 'Bytes as hex pairs, spaces allowed.' },
  },
  examples: ['$GPRMC,,V,,,,,,,,,,N*53\r\n', { hex: '06 01 10 01 15' }],
});

/** The schema of one test: facts in, the expected winner and payload (or no match) out. */
export function testItemSchema(): JsonSchema {
  const sourceFacts = Object.fromEntries(SOURCES.map((source) => [source.kind, sourceFactsSchema(source)]));
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
          host: {
            type: 'object',
            additionalProperties: false,
            properties: { hostname: { type: 'string' }, arch: { type: 'string' } },
          },
        },
        examples: [
          { usb: { vendorId: '1546', productId: '01a7', manufacturer: 'u-blox AG' }, serial: { path: '/dev/ttyACM0' } },
        ],
      },
      probe: bytesSchema(
        'The device\'s reply to a serial probe: text (Latin-1) or `{hex: "..."}`. Absent: the device does not answer, so no profile with a probe matches.',
      ),
      expect: {
        type: ['string', 'object'],
        description:
          '`no-match`, or what must hold of the match: the winning `profile`, a `payload` the mapped payload contains, `match: false` for no match.',
        pattern: '^no-match$',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          match: {
            type: 'boolean',
            description: 'Whether some profile matches; true when `profile` or `payload` is given.',
          },
          profile: { type: 'string', pattern: NAME_PATTERN, description: 'The profile that must win.' },
          payload: {
            type: 'object',
            description: 'Fields the payload must have, compared recursively; `null` means absent.',
          },
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
      profile: {
        type: 'string',
        pattern: NAME_PATTERN,
        description: 'The profile a test expecting a match names when its `expect` names none.',
      },
      description: { type: 'string' },
      tests: testListSchema(),
    },
  };
}
