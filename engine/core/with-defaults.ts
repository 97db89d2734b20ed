import type { WithDefaults } from './from-schema.js';
import type { JsonSchema } from './json-schema.js';
import { compileSchema } from './schema-issues.js';

/**
 * A copy of `value` with the schema's defaults filled in by ajv (`useDefaults`): defaults are
 * written once, in the schema, and nobody reading the value repeats them. `value` is expected to
 * have passed `schema` already (the config loader and the profile check report problems with
 * their positions); here it is only filled, as far as it goes.
 */
export function withDefaults<const S extends JsonSchema>(schema: S, value: object): WithDefaults<S> {
  const filled = structuredClone(value);
  compileSchema(schema, true)(filled);
  return filled as WithDefaults<S>;
}
