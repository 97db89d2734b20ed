import { BACKENDS, builtInBackendNames, type BackendNames } from '../backends/index.js';
import { testListSchema } from '../profile-tests/test-schema.js';
import { SOURCES } from '../sources/index.js';
import type { JsonSchema } from '../core/json-schema.js';
import { IDENTIFIER_SCHEMA } from '../map/identifier-candidates.js';
import { profileHoldMsSchema } from '../sources/shared/hold-ms-schema.js';
import { LOGIC_SNIPPETS, mapValueSnippets, withEditorHints } from './editor-hints.js';

const logicSchema: JsonSchema = {
  description:
    'A JSON-logic expression over the facts (`usb.*`, `serial.*`, `file.*`, `probe.*`, `host.*`, `params.*`, `event.*`); missing facts are null.',
  type: ['object', 'boolean'],
  defaultSnippets: LOGIC_SNIPPETS,
};

const mapValueSchema: JsonSchema = {
  description:
    'A constant, or a JSON-logic expression (an object with one operator key) over the facts. Lists and objects with several keys are evaluated member by member.',
  examples: ['u-blox GPS'],
};

/** The schema of one `notify` entry naming a backend of a known type. */
function notifyEntrySchema(name: string, notifySchema: JsonSchema): JsonSchema {
  const properties = (notifySchema.properties ?? {}) as Record<string, unknown>;
  return {
    if: { properties: { backend: { const: name } }, required: ['backend'] },
    then: {
      ...notifySchema,
      properties: { backend: true, ...properties },
    },
  };
}

/**
 * The profile JSON Schema (2020-12), assembled from the sources' detect blocks and the backends'
 * notify options. `backends` decides which names get their options checked: the built-ins by
 * default, or those of a config file.
 */
export function profileSchema(backends: BackendNames = builtInBackendNames()): JsonSchema {
  return withEditorHints(assembleProfileSchema(backends));
}

function assembleProfileSchema(backends: BackendNames): JsonSchema {
  const detectProperties: Record<string, JsonSchema> = {};
  for (const source of SOURCES) detectProperties[source.kind] = source.detectSchema;
  detectProperties.when = logicSchema;
  const names = [...backends.keys()];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Device profile',
    description:
      'How to recognise one kind of device (detect), what to tell about it (map) and whom to tell (notify). One profile per file.',
    type: 'object',
    additionalProperties: false,
    // A mask (see profile-layers.ts) needs nothing but `mask: true`; every other profile, all four.
    if: { properties: { mask: { const: true } }, required: ['mask'] },
    then: { properties: { mask: true, name: true, description: true }, additionalProperties: false },
    else: {
      properties: { name: true, detect: true, map: true, notify: true },
      required: ['name', 'detect', 'map', 'notify'],
    },
    properties: {
      name: {
        type: 'string',
        pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
        maxLength: 64,
        description: "The profile's unique id, kebab-case.",
        examples: ['gps-ublox7'],
      },
      description: { type: 'string', description: 'What device this profile recognises.' },
      priority: {
        type: 'integer',
        default: 0,
        description: 'Breaks ties when several profiles match one device equally specifically: higher wins.',
      },
      mask: {
        type: 'boolean',
        description:
          "Removes the profile of this name (`name`, else the file's name without `.yaml`) that an earlier profiles folder brings: the file needs nothing else. An empty file in a later folder does the same.",
      },
      broad: {
        type: 'string',
        pattern: '\\S',
        description:
          'Says the profile is meant to match broadly, and why: a generic USB-serial id used alone (`broad-matcher`) or an empty `usb` block (`catch-all`) is then not warned about, so `engine validate --strict` passes.',
        examples: ['Any CP2102 adapter on these gateways is the RS-485 meter bus; nothing else is ever plugged in'],
      },
      holdMs: profileHoldMsSchema,
      detect: {
        type: 'object',
        additionalProperties: false,
        description: `How to recognise the device. Every block present must hold; at least one of ${SOURCES.map((source) => source.kind).join(', ')}.`,
        properties: detectProperties,
      },
      map: {
        type: 'object',
        description: 'The payload sent to the backends, e.g. a nuvlabox-peripheral document.',
        properties: { identifier: IDENTIFIER_SCHEMA },
        additionalProperties: { ...mapValueSchema, defaultSnippets: mapValueSnippets() },
        examples: [{ identifier: { var: 'serial.byId' }, name: 'u-blox GPS', classes: ['gps'], available: true }],
      },
      notify: {
        type: 'array',
        minItems: 1,
        description: 'The backends told when the device appears, changes or disappears.',
        items: {
          type: 'object',
          required: ['backend'],
          properties: {
            backend: {
              type: 'string',
              minLength: 1,
              description: `A backend name from the engine config, or a built-in: ${names.join(', ')}.`,
              examples: names,
            },
          },
          allOf: [...backends].map(([name, definition]) => notifyEntrySchema(name, definition.notifySchema)),
        },
      },
      tests: testListSchema(),
    },
  };
}

let byType: JsonSchema | undefined;

/**
 * The profile schema with every backend type under its own type name. It does not depend on how
 * a config names its backends, so it is generated at build time (prebuilt-validators.ts); each
 * notify entry is checked under the type its name has (validate-profile.ts). Without editor
 * hints: they are annotations, which validation ignores, and writing their YAML examples cost
 * every start the `yaml` library.
 */
export function typeKeyedProfileSchema(): JsonSchema {
  byType ??= assembleProfileSchema(new Map(BACKENDS.map((definition) => [definition.type, definition])));
  return byType;
}
