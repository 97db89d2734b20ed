import { isPlainObject } from '../core/plain-object.js';

/** One place where a payload differs from what a test expects. */
export interface PayloadDifference {
  /** Dotted path into the payload, e.g. `additional-assets.devices.0`. */
  path: string;
  expected: unknown;
  /** undefined: the payload has no such field. */
  actual: unknown;
}

/**
 * Where `actual` fails to contain `expected`. Objects are compared key by key, and the payload
 * may hold keys the test does not mention; lists must have the same length, item by item;
 * other values must be equal. An expected `null` means the field is absent (the mapper leaves
 * null values out of a payload).
 */
export function payloadDifferences(expected: unknown, actual: unknown, path = ''): PayloadDifference[] {
  const here = (): PayloadDifference[] => [{ path, expected, actual }];
  if (expected === null) return actual === null || actual === undefined ? [] : here();
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return here();
    return Object.entries(expected).flatMap(([key, value]) =>
      payloadDifferences(value, actual[key], path ? `${path}.${key}` : key),
    );
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return here();
    return expected.flatMap((value, index) => payloadDifferences(value, actual[index], `${path}.${index}`));
  }
  return Object.is(expected, actual) ? [] : here();
}
