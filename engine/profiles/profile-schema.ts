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

/** The `detect` block: one block per source, and `when`. */
function detectSchema(): JsonSchema {
  const detectProperties: Record<string, JsonSchema> = {};
  for (const source of SOURCES) detectProperties[source.kind] = source.detectSchema;
  detectProperties.when = logicSchema;
  return {
    type: 'object',
    additionalProperties: false,
    description: `How to recognise the device. Every block present must hold; at least one of ${SOURCES.map((source) => source.kind).join(', ')}.`,
    properties: detectProperties,
  };
}

/** Refuses a key with the reason (a `not` schema: schema-issues.ts shows its description). */
const refused = (why: string): JsonSchema => ({ not: {}, description: why });

/** An ignore rule keeps probes off the ports it matches: it cannot have a probe of its own. */
const NO_PROBE = {
  properties: {
    serial: {
      properties: { probe: refused('an ignore rule never opens a port, so it has no probe; match by path or USB ids') },
    },
  },
};

/** The `detect` of an ignore rule (engine config `ignore:`, or an ignore profile): no probe. */
export function ignoreDetectSchema(): JsonSchema {
  return { ...detectSchema(), allOf: [NO_PROBE] };
}

/** What an ignore profile (`ignore: true`) leaves out: it registers nothing and ranks above all. */
const IGNORE_PROFILE = {
  properties: {
    detect: NO_PROBE,
    map: refused('an ignore profile registers nothing, so it has no map'),
    notify: refused('an ignore profile registers nothing, so it notifies no backend'),
    priority: refused('an ignore profile outranks every other profile; priority has no meaning in it'),
  },
};

function assembleProfileSchema(backends: BackendNames): JsonSchema {
  const names = [...backends.keys()];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Device profile',
    description:
      'How to recognise one kind of device (detect), what to tell about it (map) and whom to tell (notify). One profile per file.',
    type: 'object',
    additionalProperties: false,
    // A mask (see profile-layers.ts) needs nothing but `mask: true`. Every other profile needs a
    // name and a detect block, and, unless it is an ignore profile, a map and a notify.
    if: { properties: { mask: { const: true } }, required: ['mask'] },
    then: { properties: { mask: true, name: true, description: true }, additionalProperties: false },
    else: {
      properties: { name: true, detect: true, map: true, notify: true },
      required: ['name', 'detect'],
      if: { properties: { ignore: { const: true } }, required: ['ignore'] },
      then: IGNORE_PROFILE,
      else: { required: ['map', 'notify'] },
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
      ignore: {
        const: true,
        description:
          'Makes this an ignore profile: a device its detect matches is left alone (never registered, its ports never probed), whatever other profile matches it, catch-alls and priorities included. It has no map, notify or priority.',
      },
      detect: detectSchema(),
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
