// What an update hook carries (the target's commit, environment and config) is data from the
// network. It is checked and bounded here, and reaches the update action only as environment
// variables under fixed prefixes: never an argument, never through a shell, never a name the
// caller chooses outright.
import { isPlainObject } from '../../core/plain-object.js';
import type { BalenaTarget } from './balena-devices.js';

/** Bounds on a target: entries per object, a name's and a value's length. */
export const TARGET_LIMITS = {
  entries: 64,
  nameCharacters: 128,
  valueCharacters: 4096,
  commitCharacters: 128,
} as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const COMMIT = /^[A-Za-z0-9._-]+$/;

/** Checks `environment` or `config`: names fit for an environment variable, scalar values, both bounded. */
function checkVariables(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) return `\`${field}\` must be an object`;
  const entries = Object.entries(value);
  if (entries.length > TARGET_LIMITS.entries)
    return `\`${field}\` has ${entries.length} entries; at most ${TARGET_LIMITS.entries} are taken`;
  for (const [name, member] of entries) {
    if (!NAME.test(name) || name.length > TARGET_LIMITS.nameCharacters)
      return `\`${field}\`: \`${name.slice(0, 40)}\` is not a variable name (letters, digits, _; at most ${TARGET_LIMITS.nameCharacters})`;
    if (!['string', 'number', 'boolean'].includes(typeof member))
      return `\`${field}.${name}\` must be a string, number or boolean`;
    if (String(member).length > TARGET_LIMITS.valueCharacters)
      return `\`${field}.${name}\` is longer than ${TARGET_LIMITS.valueCharacters} characters`;
    if (String(member).includes('\u0000')) return `\`${field}.${name}\` holds a NUL character`;
  }
  return undefined;
}

/** The target in an update hook's body, or why it is refused (a 400). */
export function targetOfHook(body: Record<string, unknown>): { target: BalenaTarget } | { problem: string } {
  const { commit, environment, config, appId } = body;
  if (commit !== undefined && (typeof commit !== 'string' || commit.trim() === ''))
    return { problem: '`commit` must be a non-empty string' };
  if (
    typeof commit === 'string' &&
    (!COMMIT.test(commit.trim()) || commit.trim().length > TARGET_LIMITS.commitCharacters)
  ) {
    return { problem: `\`commit\` must be at most ${TARGET_LIMITS.commitCharacters} letters, digits, '.', '_' or '-'` };
  }
  const problem = checkVariables('environment', environment) ?? checkVariables('config', config);
  if (problem) return { problem };
  if (appId !== undefined && appId !== null && typeof appId !== 'number' && typeof appId !== 'string')
    return { problem: '`appId` must be a number' };
  return {
    target: {
      ...(typeof commit === 'string' && { commit: commit.trim() }),
      ...(isPlainObject(environment) && { environment }),
      ...(isPlainObject(config) && { config }),
      receivedAt: new Date().toISOString(),
    },
  };
}

/**
 * The variables an update action gets from a target: `BALENA_APP_COMMIT`, each environment
 * variable as `BALENA_ENV_<NAME>` and each config variable as `BALENA_CONFIG_<NAME>`, and both
 * whole as JSON in `BALENA_DEVICE_ENVIRONMENT` and `BALENA_DEVICE_CONFIG`. A target stored by
 * an older version is bounded again here.
 */
export function targetVariables(target: BalenaTarget): Record<string, string> {
  const variables: Record<string, string> = {};
  const checked = targetOfHook({ ...target });
  const safe = 'target' in checked ? checked.target : { receivedAt: target.receivedAt };
  if (safe.commit !== undefined) variables.BALENA_APP_COMMIT = safe.commit;
  for (const [prefix, values] of [
    ['BALENA_ENV_', safe.environment],
    ['BALENA_CONFIG_', safe.config],
  ] as const) {
    for (const [name, value] of Object.entries(values ?? {})) variables[`${prefix}${name}`] = String(value);
  }
  variables.BALENA_DEVICE_ENVIRONMENT = JSON.stringify(safe.environment ?? {});
  variables.BALENA_DEVICE_CONFIG = JSON.stringify(safe.config ?? {});
  return variables;
}
