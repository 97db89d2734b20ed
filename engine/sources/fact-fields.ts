import { SOURCES } from './index.js';

/**
 * The facts a profile's `when` and `map` can read, by root: the fields each root has, or `'any'`
 * where the fields are the user's own (`params.*`).
 */
export const FACT_FIELDS: Readonly<Record<string, readonly string[] | 'any'>> = {
  ...Object.fromEntries(SOURCES.map((source) => [source.kind, Object.keys(source.facts)])),
  probe: ['response', 'hex', 'groups'],
  host: ['hostname', 'arch'],
  params: 'any',
  event: ['action', 'at'],
};

/** Why a `var` path names no fact, or undefined when it does. */
export function unknownFactReason(path: string): string | undefined {
  if (path === '') return undefined;
  const [root, field] = path.split('.');
  const fields = FACT_FIELDS[root!];
  if (!fields) return `\`${root}\` is not a fact root; the roots are ${Object.keys(FACT_FIELDS).join(', ')}`;
  if (fields === 'any' || field === undefined || fields.includes(field)) return undefined;
  return `\`${root}\` has no fact \`${field}\`; it has ${fields.join(', ')}`;
}
