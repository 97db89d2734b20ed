import { BACKENDS } from '../backends/index.js';
import { resyncMsSchema } from '../core/folder-watch.js';
import {
  DEFAULT_DELIVERY_CONCURRENCY,
  DEFAULT_RETRY_POLICY,
  EXEC_DELIVERY_CONCURRENCY,
} from '../reconcile/retry-policy.js';
import { SOURCES } from '../sources/index.js';
import { ignoreRulesSchema } from './ignore-rules.js';
import type { JsonSchema } from '../core/json-schema.js';

/** How changes are retried when a backend fails; its defaults are the engine's. */
export const deliverySchema = {
  type: 'object',
  description: 'How changes are retried when a backend fails.',
  additionalProperties: false,
  properties: {
    retryBaseMs: {
      type: 'integer',
      minimum: 10,
      default: DEFAULT_RETRY_POLICY.baseMs,
      description: 'Delay after the first failure; doubled after each further one.',
    },
    retryCapMs: {
      type: 'integer',
      minimum: 100,
      default: DEFAULT_RETRY_POLICY.capMs,
      description: 'The longest delay between two attempts.',
    },
    concurrency: {
      type: 'integer',
      minimum: 1,
      maximum: 64,
      // No default filled in: unset, each backend's own applies.
      description: `Requests under way at once per backend. Unset: ${DEFAULT_DELIVERY_CONCURRENCY}, and ${EXEC_DELIVERY_CONCURRENCY} for exec backends (each request is a program).`,
    },
  },
} as const satisfies JsonSchema;

/** Where the profiles are, and how their folders are watched. */
export const profilesSchema = {
  type: 'object',
  description: 'Where the profiles are, and how their folders are watched.',
  additionalProperties: false,
  properties: {
    folders: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description:
        "The profiles folders, earliest first (relative ones from the config file's folder), used when no `--profiles` is given: a later folder's profile replaces an earlier one of the same name, and a file with `mask: true` (or an empty file) in a later folder removes it. Default: ./profiles.",
      examples: [['/usr/share/engine/profiles', '/etc/engine/profiles']],
    },
    resyncMs: resyncMsSchema(' of profiles'),
  },
} as const satisfies JsonSchema;

let assembled: JsonSchema | undefined;

/**
 * The engine config file's schema, assembled from the backend types' config fragments once, so
 * that it is compiled once (compileSchema caches by schema object). The config loader fills its
 * defaults in: what reads the config never repeats them.
 */
export function configSchema(): JsonSchema {
  assembled ??= {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Engine configuration',
    type: 'object',
    additionalProperties: false,
    properties: {
      params: {
        type: 'object',
        description: 'Per-gateway values, read by profiles as `params.*` (a project id, a site name).',
      },
      sources: {
        type: 'object',
        description: 'Settings of the device sources.',
        additionalProperties: false,
        properties: Object.fromEntries(
          SOURCES.flatMap((source) => (source.configSchema ? [[source.kind, source.configSchema]] : [])),
        ),
      },
      delivery: deliverySchema,
      profiles: profilesSchema,
      ignore: ignoreRulesSchema(),
      status: {
        type: 'object',
        description: 'The status server (port 6769 by default).',
        additionalProperties: false,
        properties: {
          token: {
            type: 'string',
            // Empty is no lock, so that `${ENGINE_STATUS_TOKEN:-}` can leave it unset.
            pattern: '^(|[\\s\\S]{8,})$',
            description:
              'When set (8 characters or more), every endpoint but /healthz requires this token: `Authorization: Bearer TOKEN`, basic auth with the token as password, or the login form in a browser. The environment variable ENGINE_STATUS_TOKEN sets it too. Use `${ENV}` to keep it out of the file; empty means no lock.',
            examples: ['${ENGINE_STATUS_TOKEN}'],
          },
        },
      },
      backends: {
        type: 'object',
        description: 'Named backends profiles can notify. When given, they replace the built-ins.',
        propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$' },
        additionalProperties: {
          type: 'object',
          required: ['type'],
          properties: {
            type: { enum: BACKENDS.map((definition) => definition.type), description: 'The backend type.' },
          },
          allOf: BACKENDS.map((definition) => ({
            if: { properties: { type: { const: definition.type } }, required: ['type'] },
            then: {
              ...definition.configSchema,
              properties: { type: true, ...((definition.configSchema.properties ?? {}) as object) },
            },
          })),
        },
      },
    },
  };
  return assembled;
}
