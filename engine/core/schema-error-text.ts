import type { ErrorObject } from 'ajv';

/** A JSON pointer as a person writes the path: `/additional-assets/devices/0` → `additional-assets.devices[0]`. */
export function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (text, segment) => (/^\d+$/.test(segment) ? `${text}[${segment}]` : text ? `${text}.${segment}` : segment),
      '',
    );
}

/** What kind of value this is, in a person's words. */
export function valueKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  return `${typeof value === 'number' ? 'the number' : typeof value} ${String(value)}`;
}

/** The value at a JSON pointer inside `data`, or undefined. */
function valueAt(data: unknown, instancePath: string): unknown {
  let value = data;
  for (const segment of fieldPath(instancePath).match(/[^.[\]]+/g) ?? [])
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
  return value;
}

/**
 * One schema error about a value, naming the value itself: `additional-assets.devices[0]` is
 * null; it must be string (the top field alone would make "must be string" read as if said of
 * the mapping it is in).
 */
export function valueErrorText(error: ErrorObject, data: unknown): string {
  const where = fieldPath(error.instancePath);
  if (error.keyword !== 'type' || where === '')
    return `${where ? `\`${where}\` ` : ''}${error.message ?? 'is refused'}`;
  return `\`${where}\` is ${valueKind(valueAt(data, error.instancePath))}; it ${error.message ?? 'is refused'}`;
}
