// What a local action's program sees: the device's facts as environment variables, and nothing
// of the engine's own environment but PATH, so a secret given to the engine (a supervisor API
// key) never reaches a program a profile names.
import type { Payload } from '../backends/backend.js';
import type { Facts } from '../core/facts.js';

/** A lifecycle event as local actions and webhooks name it. */
export type DeviceEventName = 'added' | 'changed' | 'removed';

/** The event a reconciler operation stands for. */
export function eventOf(op: 'create' | 'update' | 'delete'): DeviceEventName {
  return op === 'create' ? 'added' : op === 'update' ? 'changed' : 'removed';
}

/** What an action knows of the device it runs for. */
export interface ActionSubject {
  event: string;
  identifier: string;
  payload: Payload;
  facts?: Facts;
  profile?: string;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** `vendorId` → `VENDOR_ID`, `serial-number` → `SERIAL_NUMBER`. */
export function environmentName(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

/** Adds `DEVICE_<ROOT>_<FIELD>` for every scalar fact; lists and deeper objects as JSON. */
function addFacts(env: Record<string, string>, facts: Facts): void {
  for (const [root, fields] of Object.entries(facts)) {
    if (typeof fields !== 'object' || fields === null) continue;
    for (const [field, value] of Object.entries(fields as Record<string, unknown>)) {
      if (value === null || value === undefined) continue;
      const name = `DEVICE_${environmentName(root)}_${environmentName(field)}`;
      env[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
  }
}

/**
 * The environment of a program run for `subject`: PATH, the facts as `DEVICE_*` variables,
 * `DEVICE_EVENT`, `DEVICE_IDENTIFIER`, `DEVICE_PROFILE`, `DEVICE_PAYLOAD` and `DEVICE_FACTS`
 * (JSON), then `extra` (e.g. the balena uuid and commit).
 */
export function deviceEnvironment(
  subject: ActionSubject,
  extra: Record<string, string> = {},
  enginePath = process.env.PATH,
): Record<string, string> {
  const env: Record<string, string> = { PATH: enginePath || DEFAULT_PATH };
  if (subject.facts) addFacts(env, subject.facts);
  env.DEVICE_EVENT = subject.event;
  env.DEVICE_IDENTIFIER = subject.identifier;
  if (subject.profile) env.DEVICE_PROFILE = subject.profile;
  env.DEVICE_PAYLOAD = JSON.stringify(subject.payload);
  env.DEVICE_FACTS = JSON.stringify(subject.facts ?? {});
  return { ...env, ...extra };
}
