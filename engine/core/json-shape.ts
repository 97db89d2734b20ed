import { isPlainObject } from './plain-object.js';

/** The kinds of JSON value a field may be checked for; `object` is a JSON object (not null, not a list). */
export type JsonKind = 'string' | 'number' | 'boolean' | 'object';

/** A field's expected kind; with `?`, the field may also be absent. */
export type FieldShape = JsonKind | `${JsonKind}?`;

const isKind = (value: unknown, kind: JsonKind): boolean =>
  kind === 'object' ? isPlainObject(value) : typeof value === kind;

/**
 * Whether `value` is a JSON object whose named fields are of the kinds given (other fields are
 * not looked at): the shape check of an entry read back from a state file, written by hand once
 * per store instead of a schema per store.
 */
export function hasShape(value: unknown, fields: Record<string, FieldShape>): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  return Object.entries(fields).every(([name, shape]) => {
    const optional = shape.endsWith('?');
    const field = value[name];
    return (optional && field === undefined) || isKind(field, (optional ? shape.slice(0, -1) : shape) as JsonKind);
  });
}
