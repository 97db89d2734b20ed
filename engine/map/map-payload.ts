import jsonLogic from 'json-logic-js';
import { evaluateLogic, withinLogicLimits } from '../logic/evaluate-logic.js';
import { jsonWeight } from '../logic/json-weight.js';
import { UNSAFE_PATH_SEGMENTS } from '../logic/operators.js';
import type { Profile } from '../profiles/profile.js';
import { defaultIdentifierCandidates } from './default-identifier.js';
import { identifierCandidates, isIdentifier } from './identifier-candidates.js';
import type { Facts } from '../core/facts.js';
import { isPlainObject } from '../core/plain-object.js';

/** The largest payload sent, as JSON text in UTF-8; a larger one is a problem of its device. */
export const PAYLOAD_BYTES_CAP = 256 * 1024;

/** Values a payload leaves out, as it leaves out null: NaN and Infinity have no JSON form. */
const isAbsent = (value: unknown) =>
  value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value));

/**
 * Evaluates one `map` value the way the validator reads it (see checkTemplate): an object with
 * one key is a JSON-logic expression, lists and other objects are evaluated member by member.
 * Backends use it too, for templates over other data (a webhook body, an argv). Evaluation is
 * bounded (see LOGIC_LIMITS); keys `__proto__`, `constructor` and `prototype` are dropped (the
 * validator rejects them), so no template can set an object's prototype.
 */
export function evaluateTemplate(value: unknown, data: unknown): unknown {
  return withinLogicLimits(() => evaluateMember(value, data));
}

function evaluateMember(value: unknown, data: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => evaluateMember(item, data));
  if (isPlainObject(value) && Object.keys(value).length === 1 && !UNSAFE_PATH_SEGMENTS.has(Object.keys(value)[0]!))
    return evaluateLogic(value, data);
  if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([key]) => !UNSAFE_PATH_SEGMENTS.has(key));
    return Object.fromEntries(entries.map(([key, member]) => [key, evaluateMember(member, data)]));
  }
  return value;
}

/** A device's payload and the identifiers it may go by. */
export interface MappedDevice {
  /** Its `identifier` is the first candidate, when there is one. */
  payload: Record<string, unknown>;
  /** The identifier candidates in order (see identifierCandidates); empty when there is none. */
  candidates: string[];
}

/**
 * The payload a profile's `map` makes of a device's facts. Keys whose value comes out null
 * (or NaN or Infinity) are left out (a missing serial number is no serial number, not the
 * string "null"); `identifier` defaults to the device's default identifier. Throws when the map
 * cannot be evaluated or the payload is over PAYLOAD_BYTES_CAP, for the caller to report.
 */
export function mapPayload(profile: Profile, facts: Facts): Record<string, unknown> {
  return mapDevice(profile, facts).payload;
}

/**
 * mapPayload, with the identifier candidates: those of a list written as `identifier`, or the
 * one identifier; the default identifier's when the map gives none (a list none of whose items
 * comes out as an identifier gives none). The payload carries the first candidate.
 */
export function mapDevice(profile: Profile, facts: Facts): MappedDevice {
  const payload: Record<string, unknown> = {};
  withinLogicLimits(() => {
    for (const [key, value] of Object.entries(profile.map ?? {})) {
      if (UNSAFE_PATH_SEGMENTS.has(key)) continue;
      const result = evaluateMember(value, facts);
      if (!isAbsent(result)) payload[key] = result;
    }
  });
  const listed = Array.isArray(profile.map?.identifier);
  const written = payload.identifier;
  let candidates = listed ? identifierCandidates(written) : isIdentifier(written) ? [written] : [];
  if (candidates.length === 0 && (listed || written === undefined)) candidates = defaultIdentifierCandidates(facts);
  if (candidates[0] !== undefined) payload.identifier = candidates[0];
  else if (listed) delete payload.identifier;
  return { payload: withinPayloadCap(payload), candidates };
}

/** The payload as sent (nested NaN and Infinity as null); throws when it is over PAYLOAD_BYTES_CAP. */
function withinPayloadCap(payload: Record<string, unknown>): Record<string, unknown> {
  // The weight is a lower bound of the JSON length, so a payload over it is over the cap
  // without being serialized; one under it is small enough to serialize and measure exactly.
  const text = jsonWeight(payload) > PAYLOAD_BYTES_CAP ? undefined : JSON.stringify(payload);
  const size = text === undefined ? undefined : Buffer.byteLength(text);
  if (size === undefined || size > PAYLOAD_BYTES_CAP) {
    throw new RangeError(
      `the payload as JSON is larger than the cap of ${PAYLOAD_BYTES_CAP} bytes${size === undefined ? '' : ` (${size} bytes)`}; it is not sent`,
    );
  }
  return JSON.parse(text!) as Record<string, unknown>;
}

/**
 * Whether a profile's `when` holds for these facts (true when it has none). Throws when the
 * expression cannot be evaluated on them (an operand of the wrong type, LOGIC_LIMITS).
 */
export function whenHolds(profile: Profile, facts: Facts): boolean {
  if (profile.detect.when === undefined) return true;
  return jsonLogic.truthy(evaluateLogic(profile.detect.when, facts));
}
