/** A JSON Schema fragment (2020-12), kept as plain data. */
export type JsonSchema = Record<string, unknown>;
