// The JSON Schemas the engine knows at build time (the profile schema for the built-in backend
// names, the config schema, the backends' document schemas) are compiled by ajv during the build
// into standalone code (`npm run build` runs build-validators.js), so that a start neither
// loads ajv's compiler nor compiles: about a third of a second on a small gateway. A schema
// known only at run time (a profile schema for a config file's backend names) is compiled then.
// Schemas whose defaults are filled into the data (the config file, a backend's options) have a
// validator of their own, generated with `useDefaults` (ajv's standalone code keeps it).
// The generated files live in dist/ only: they are output of the build, never committed.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { JsonSchema } from './json-schema.js';

/**
 * The folder of the generated validators, next to this module in dist/, where the build writes
 * them. Every file in it is reached through this one URL, which scripts/bundle.mjs re-bases for
 * the bundles.
 */
export const prebuiltFolderPath = (): string => fileURLToPath(new URL('./validators/', import.meta.url));

/**
 * Keywords only editors read (the YAML language server, VS Code): the validator must know them
 * to accept them in strict mode.
 */
export const EDITOR_KEYWORDS = ['markdownDescription', 'defaultSnippets'];

/** ajv's options, the same at build time and at run time: the errors must not depend on which compiled. */
export const AJV_OPTIONS = {
  allErrors: true,
  verbose: true,
  strict: true,
  strictTypes: false,
  allowUnionTypes: true,
  keywords: EDITOR_KEYWORDS,
} as const;

/**
 * ajv's options for a validator that also fills the schema's defaults into the data it checks;
 * never used for a profile, whose notify entries and payloads users see as written.
 */
export const AJV_DEFAULTS_OPTIONS = { ...AJV_OPTIONS, useDefaults: true } as const;

/** The key of a schema's validator: a hash of its JSON text, and whether it fills defaults. */
export const schemaKey = (schema: JsonSchema, fillsDefaults = false): string =>
  createHash('sha256')
    .update(`${fillsDefaults ? 'defaults ' : ''}${JSON.stringify(schema)}`)
    .digest('hex');

const require = createRequire(import.meta.url);
let index: Record<string, string> | null | undefined;

/** The file, next to the validators, that names the build (a hash of the engine's code). */
export const BUILD_FILE = 'build.json';

let build: { id: string } | null | undefined;

/** What identifies this build of the engine; undefined when it was not built with `npm run build`. */
export function buildId(): string | undefined {
  if (build === undefined) {
    try {
      build = require(path.join(prebuiltFolderPath(), BUILD_FILE)) as { id: string };
    } catch {
      build = null;
    }
  }
  return build?.id;
}

/** The validator generated at build time for exactly this schema (and filling), if there is one. */
export function prebuiltValidator(schema: JsonSchema, fillsDefaults = false): ValidateFunction | undefined {
  if (index === undefined) {
    try {
      index = require(path.join(prebuiltFolderPath(), 'index.json')) as Record<string, string>;
    } catch {
      // Not built (tsc alone, as the tests' own build does): every schema is compiled at run time.
      index = null;
    }
  }
  const file = index?.[schemaKey(schema, fillsDefaults)];
  return file ? (require(path.join(prebuiltFolderPath(), file)) as ValidateFunction) : undefined;
}
