import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { backendType, builtInBackendNames, type BackendNames } from '../backends/index.js';
import type { ProfileIssue } from '../core/errors.js';
import { schemaIssues } from '../core/schema-issues.js';
import { readYamlData } from '../core/read-yaml-data.js';
import { issueAt, type NodePath, type YamlSource } from '../core/yaml-source.js';
import { credentialsIn, secrets } from '../core/secrets.js';
import type { WithDefaults } from '../core/from-schema.js';
import { withDefaults } from '../core/with-defaults.js';
import { configSchema, deliverySchema, profilesSchema } from './config-schema.js';
import type { LoadedProfile } from '../profiles/profile.js';
import { ignoreRuleEntries, ignoreRuleIssues, type IgnoreRule } from './ignore-rules.js';

/** A backend as configured: its name, type and options. */
export interface ConfiguredBackend {
  name: string;
  type: string;
  options: Record<string, unknown>;
}

/** How failed changes are retried. */
export type DeliveryConfig = WithDefaults<typeof deliverySchema>;

/** The engine's configuration, from a file or the built-in defaults. */
export interface EngineConfig {
  params: Record<string, unknown>;
  /** Settings per source kind, as validated by each source's config schema, defaults filled in. */
  sources: Record<string, Record<string, unknown>>;
  delivery: DeliveryConfig;
  /** Where the profiles are (`folders`, absolute) and how their folders are watched. */
  profiles: WithDefaults<typeof profilesSchema>;
  /** The backends; a config file's with their schema's defaults filled in. */
  backends: ConfiguredBackend[];
  /** The `ignore:` rules, as the matcher takes them (LoadedProfile.configRule). */
  ignore: LoadedProfile[];
  /**
   * The secrets of the backends' config: credentials (header values, URL query values, key and
   * token options) and every `${ENV}` value substituted into it. Also recorded with the process's
   * secret registry, so that no log line, reason or state file shows them.
   */
  secrets: string[];
  /** The status server's settings. */
  status: { token?: string };
}

/** The environment variable that sets the status server's token when the config does not. */
export const STATUS_TOKEN_ENV = 'ENGINE_STATUS_TOKEN';

/** The status server's settings: the config's token, else the environment's; empty is none. */
function statusSettings(configured: string | undefined, env: NodeJS.ProcessEnv): { token?: string } {
  const token = configured || env[STATUS_TOKEN_ENV] || undefined;
  return token ? { token } : {};
}

/** The configuration used without a config file: the built-in backends, set up from `env`. */
export function defaultConfig(env: NodeJS.ProcessEnv): EngineConfig {
  const backends: ConfiguredBackend[] = [];
  for (const [name, definition] of builtInBackendNames()) {
    backends.push({ name, type: definition.type, options: definition.builtIn!.configFrom(env) });
  }
  const status = statusSettings(undefined, env);
  // The status token is a secret too: no log line or reason may show it.
  return {
    params: {},
    sources: {},
    delivery: withDefaults(deliverySchema, {}),
    profiles: withDefaults(profilesSchema, {}),
    backends,
    ignore: [],
    secrets: recordSecrets(backends, status.token ? [status.token] : []),
    status,
  };
}

/** Records the backends' credentials and the substituted values as secrets; returns them all. */
function recordSecrets(backends: ConfiguredBackend[], substituted: string[]): string[] {
  const found = [...new Set([...backends.flatMap((backend) => credentialsIn(backend.options)), ...substituted])];
  secrets.add(found);
  return found;
}

/** The backend names a configuration provides, with their types. */
export function backendNamesOf(config: EngineConfig): BackendNames {
  return new Map(config.backends.map((backend) => [backend.name, backendType(backend.type)!]));
}

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}` in every string; `$$` is a literal `$`. */
function interpolate(
  value: unknown,
  path: NodePath,
  env: NodeJS.ProcessEnv,
  undefinedAt: (path: NodePath, name: string) => void,
  substituted: string[],
): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (whole, name: string | undefined, fallback: string | undefined) => {
      if (whole === '$$') return '$';
      const found = env[name!];
      if (found !== undefined && found !== '') {
        if (path[0] === 'backends') substituted.push(found);
        return found;
      }
      if (fallback !== undefined) return fallback;
      undefinedAt(path, name!);
      return '';
    });
  }
  if (Array.isArray(value))
    return value.map((item, index) => interpolate(item, [...path, index], env, undefinedAt, substituted));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, member]) => [
        key,
        interpolate(member, [...path, key], env, undefinedAt, substituted),
      ]),
    );
  }
  return value;
}

/** The profiles settings, with folders relative to the config file's folder made whole. */
function profilesFrom(file: string, profiles: EngineConfig['profiles'] | undefined): EngineConfig['profiles'] {
  const settings = profiles ?? withDefaults(profilesSchema, {});
  if (!settings.folders) return settings;
  return { ...settings, folders: settings.folders.map((folder) => path.resolve(path.dirname(file), folder)) };
}

/** Checks config text; the configuration is returned only when there is no error. */
export function parseConfig(
  file: string,
  text: string,
  env: NodeJS.ProcessEnv,
): { config?: EngineConfig; issues: ProfileIssue[] } {
  const read = readYamlData(file, text);
  if (!('data' in read)) return { issues: read.issues };
  const source: YamlSource = read.source;
  const issues = [...read.issues];
  const substituted: string[] = [];
  const data = interpolate(
    read.data,
    [],
    env,
    (path, name) =>
      issues.push(
        issueAt(
          source,
          path,
          'value',
          'error',
          'env-undefined',
          `environment variable ${name} is not set (give a default with \${${name}:-value})`,
        ),
      ),
    substituted,
  );
  // Checked and filled: every default of the schema is in `data` from here on.
  issues.push(...schemaIssues(source, data, configSchema(), [], true));
  issues.push(...ignoreRuleIssues(source, (data as { ignore?: unknown }).ignore));
  if (issues.some((issue) => issue.severity === 'error')) return { issues };
  const raw = data as {
    params?: Record<string, unknown>;
    sources?: Record<string, Record<string, unknown>>;
    delivery?: DeliveryConfig;
    profiles?: EngineConfig['profiles'];
    backends?: Record<string, { type: string } & Record<string, unknown>>;
    ignore?: IgnoreRule[];
    status?: { token?: string };
  };
  const backends = raw.backends
    ? Object.entries(raw.backends).map(([name, { type, ...options }]) => ({ name, type, options }))
    : defaultConfig(env).backends;
  const status = statusSettings(raw.status?.token, env);
  const config: EngineConfig = {
    params: raw.params ?? {},
    sources: raw.sources ?? {},
    delivery: raw.delivery ?? withDefaults(deliverySchema, {}),
    profiles: profilesFrom(file, raw.profiles),
    backends,
    ignore: ignoreRuleEntries(file, raw.ignore ?? []),
    // The status token is a secret too: no log line or reason may show it.
    secrets: recordSecrets(backends, status.token ? [...substituted, status.token] : substituted),
    status,
  };
  return { config, issues };
}

/** Reads and checks a config file. */
export async function loadConfig(
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<{ config?: EngineConfig; issues: ProfileIssue[]; text?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return {
      issues: [{ severity: 'error', code: 'read-error', file, line: 1, col: 1, message: (error as Error).message }],
    };
  }
  return { ...parseConfig(file, text, env), text };
}

/**
 * The config in `file`, or the built-in backends from the environment when there is no file;
 * `texts` holds the file's text so that its issues can be shown with their source lines.
 */
export async function loadConfigOrDefault(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<{ config?: EngineConfig; issues: ProfileIssue[]; texts: Map<string, string> }> {
  if (file === undefined) return { config: defaultConfig(env), issues: [], texts: new Map() };
  const { text, ...loaded } = await loadConfig(file, env);
  return { ...loaded, texts: new Map(text === undefined ? [] : [[file, text]]) };
}
