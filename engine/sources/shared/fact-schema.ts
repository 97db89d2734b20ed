import type { JsonSchema } from '../../core/json-schema.js';

/** A fact that holds a value of `type` or null: shared by the sources' fact schemas. */
export const nullable = (type: string): JsonSchema => ({ type: [type, 'null'] });

/** A fact in lowercase hex of a fixed width (`01a7`, `0e`), as the USB facts are. */
export const lowercaseHex = (digits: number): JsonSchema => ({ type: 'string', pattern: `^[0-9a-f]{${digits}}$` });
