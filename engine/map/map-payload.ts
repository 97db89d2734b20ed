import jsonLogic from 'json-logic-js';
import { installOperators } from '../logic/operators.js';
import type { Profile } from '../profiles/profile.js';
import { defaultIdentifier } from './default-identifier.js';
import type { Facts } from './facts.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Evaluates one `map` value the way the validator reads it (see checkTemplate): an object with
 * one key is a JSON-logic expression, lists and other objects are evaluated member by member.
 * Backends use it too, for templates over other data (a webhook body, an argv).
 */
export function evaluateTemplate(value: unknown, data: unknown): unknown {
  installOperators();
  if (Array.isArray(value)) return value.map((item) => evaluateTemplate(item, data));
  if (isPlainObject(value) && Object.keys(value).length === 1) return jsonLogic.apply(value as jsonLogic.RulesLogic, data);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, evaluateTemplate(member, data)]));
  return value;
}

/**
 * The payload a profile's `map` makes of a device's facts. Keys whose value comes out null are
 * left out (a missing serial number is no serial number, not the string "null"); `identifier`
 * defaults to the device's default identifier.
 */
export function mapPayload(profile: Profile, facts: Facts): Record<string, unknown> {
  installOperators();
  const payload: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(profile.map)) {
    const result = evaluateTemplate(value, facts);
    if (result !== null && result !== undefined) payload[key] = result;
  }
  if (payload.identifier === undefined) {
    const identifier = defaultIdentifier(facts);
    if (identifier !== undefined) payload.identifier = identifier;
  }
  return payload;
}

/** Whether a profile's `when` holds for these facts (true when it has none). */
export function whenHolds(profile: Profile, facts: Facts): boolean {
  installOperators();
  if (profile.detect.when === undefined) return true;
  return jsonLogic.truthy(jsonLogic.apply(profile.detect.when as jsonLogic.RulesLogic, facts));
}
