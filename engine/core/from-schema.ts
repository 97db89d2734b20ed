// The TypeScript type of what a JSON Schema fragment accepts, derived from the fragment itself
// (written `as const`), so that an options type never restates its schema. It covers what the
// engine's option schemas use: `type` (one or a list), `const`, `enum`, `properties` with
// `required`, `additionalProperties` and `items`; anything else is `unknown`, which is never
// wrong, only less precise.

/** The value of a JSON type name. */
type TypeNamed<Name> = Name extends 'string'
  ? string
  : Name extends 'integer' | 'number'
    ? number
    : Name extends 'boolean'
      ? boolean
      : Name extends 'null'
        ? null
        : Name extends 'array'
          ? unknown[]
          : Name extends 'object'
            ? Record<string, unknown>
            : unknown;

type PropertiesOf<S> = S extends { properties: infer P } ? P : {};

/** Keys always present: the required ones and, once filled in, those with a default. */
type PresentKeys<S, Filled> =
  | (S extends { required: readonly (infer K)[] } ? K : never)
  | (Filled extends true
      ? {
          [K in keyof PropertiesOf<S>]: PropertiesOf<S>[K] extends { default: unknown } ? K : never;
        }[keyof PropertiesOf<S>]
      : never);

type Flatten<T> = { [K in keyof T]: T[K] } & {};

type ObjectOf<S, Filled, P = PropertiesOf<S>, Present = PresentKeys<S, Filled>> = Flatten<
  { -readonly [K in keyof P as K extends Present ? K : never]: Value<P[K], Filled> } & {
    -readonly [K in keyof P as K extends Present ? never : K]?: Value<P[K], Filled>;
  } & (S extends { additionalProperties: infer A extends object } ? Record<string, Value<A, Filled>> : {})
>;

/** The value of a schema whose `type` names `Name` (one member of a list at a time). */
type Typed<S, Name, Filled> = Name extends 'object'
  ? S extends { properties: object } | { additionalProperties: object }
    ? ObjectOf<S, Filled>
    : Record<string, unknown>
  : Name extends 'array'
    ? S extends { items: infer I }
      ? Value<I, Filled>[]
      : unknown[]
    : TypeNamed<Name>;

type Value<S, Filled> = S extends { const: infer C }
  ? C
  : S extends { enum: readonly (infer E)[] }
    ? E
    : S extends { type: readonly (infer Names)[] }
      ? Typed<S, Names, Filled>
      : S extends { type: infer Name }
        ? Typed<S, Name, Filled>
        : S extends { properties: object }
          ? ObjectOf<S, Filled>
          : unknown;

/** A value as a schema accepts it: a property with a default may be absent. */
export type FromSchema<S> = Value<S, false>;

/** A value once ajv has filled the schema's defaults in (see `withDefaults`): they are present. */
export type WithDefaults<S> = Value<S, true>;
