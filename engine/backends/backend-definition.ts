import type { FromSchema, WithDefaults } from '../core/from-schema.js';
import type { JsonSchema } from '../core/json-schema.js';
import { withDefaults } from '../core/with-defaults.js';
import type { Backend, BackendContext, Payload } from './backend.js';

/**
 * What a backend type declares about itself. The profile schema takes `notifySchema` for the
 * profile's `notify` entries naming a backend of this type; the configuration schema takes
 * `configSchema` for a backend entry of this type in the engine's config file. A backend module
 * writes one with {@link defineBackend}.
 */
export interface BackendDefinition {
  /** The `type` in the config file, e.g. `nuvlabox-agent`. */
  type: string;
  description: string;
  /** Properties of a config-file backend entry besides `type`, as an object schema. */
  configSchema: JsonSchema;
  /** Properties of a profile's `notify` entry besides `backend`, as an object schema. */
  notifySchema: JsonSchema;
  /** The built-in backend of this type that exists without a config file, if any. */
  builtIn?: BuiltInBackend;
  /** A config entry and a notify entry, for documentation and the registry test. */
  example: { config: Record<string, unknown>; notify: Record<string, unknown> };
  /**
   * True for backends that act on the device itself (a symlink to its node, a program given its
   * facts): a change of facts with the same payload is then a change for them too.
   */
  followsFacts?: boolean;
  /**
   * Notify options that are JSON-logic templates, by their path in the notify entry, with what
   * they are evaluated over: the device's facts, or the change (`event`, `identifier`,
   * `payload`, `facts`, `profile`). `engine validate` checks them like `map`.
   */
  notifyLogic?: readonly { path: readonly string[]; over: 'facts' | 'change' }[];
  /** The schema every payload must pass before it is sent, where the backend has one. */
  documentSchema?: JsonSchema;
  /**
   * The document sent for a mapped payload, made before `documentSchema` checks it (e.g. blank
   * strings left out like null); the payload as mapped when absent.
   */
  document?(payload: Payload): Payload;
  /**
   * Document fields the backend's consumer drops, with why: `engine validate` warns when a
   * profile notifying this backend maps one.
   */
  ignoredFields?: Readonly<Record<string, string>>;
  /** What users must know about every delivery to this backend, shown with it on `/devices`. */
  caveat?: string;
  /** Makes a backend from its config entry (without `type`), the schema's defaults filled in. */
  create(config: Record<string, unknown>, context: BackendContext): Backend;
}

/** A backend that exists without configuration, set up from the environment. */
export interface BuiltInBackend {
  name: string;
  /** Environment variables it reads, with what each sets. */
  environment: Readonly<Record<string, string>>;
  /** Its config entry, built from the environment. */
  configFrom(env: NodeJS.ProcessEnv): Record<string, unknown>;
}

/** A notify entry as a backend of a type receives it: its `backend` name and its options. */
export type NotifyOptions<NotifySchema> = FromSchema<NotifySchema> & { backend: string };

/**
 * A backend type as its module writes it: the schemas `as const`, and `create` taking options
 * whose type is derived from the config schema, its backend taking notify entries whose type is
 * derived from the notify schema.
 */
export interface BackendSpec<ConfigSchema extends JsonSchema, NotifySchema extends JsonSchema> extends Omit<
  BackendDefinition,
  'configSchema' | 'notifySchema' | 'example' | 'create'
> {
  configSchema: ConfigSchema;
  notifySchema: NotifySchema;
  example: {
    config: FromSchema<ConfigSchema> & Record<string, unknown>;
    notify: FromSchema<NotifySchema> & Record<string, unknown>;
  };
  create(options: WithDefaults<ConfigSchema>, context: BackendContext): Backend<NotifyOptions<NotifySchema>>;
}

/** The registry entry of a backend type, from its spec. */
export function defineBackend<const ConfigSchema extends JsonSchema, const NotifySchema extends JsonSchema>(
  spec: BackendSpec<ConfigSchema, NotifySchema>,
): BackendDefinition {
  return {
    ...spec,
    // Filled here rather than trusted to the config loader: a built-in's config comes from the
    // environment, and tests create backends from partial configs. The backend is handed only
    // notify entries that passed its notify schema (profiles are checked before they are used),
    // which is what its notify type says.
    create: (config, context) => spec.create(withDefaults(spec.configSchema, config), context) as Backend,
  };
}
