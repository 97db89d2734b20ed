// Build step (`npm run build`): writes ajv standalone code for every schema known at build time
// into dist/engine/core/validators/, with an index by schema hash. See prebuilt-validators.ts.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { programActionSchema } from '../actions/program-action.js';
import { BACKENDS } from '../backends/index.js';
import { configSchema, deliverySchema, profilesSchema } from '../config/config-schema.js';
import type { JsonSchema } from '../core/json-schema.js';
import {
  AJV_DEFAULTS_OPTIONS,
  AJV_OPTIONS,
  BUILD_FILE,
  prebuiltFolderPath,
  schemaKey,
} from '../core/prebuilt-validators.js';
import { PROTOCOLS } from '../sources/network/protocols.js';
import { SOURCES } from '../sources/index.js';
import { partialDocumentSchema } from './lint-profile.js';
import { profileSchema, typeKeyedProfileSchema } from './profile-schema.js';

const folder = prebuiltFolderPath();
const documentSchemas = BACKENDS.flatMap((definition) =>
  definition.documentSchema ? [definition.documentSchema] : [],
);
const schemas: JsonSchema[] = [
  typeKeyedProfileSchema(),
  profileSchema(),
  configSchema(),
  ...documentSchemas,
  ...documentSchemas.map(partialDocumentSchema),
];
/** Schemas whose defaults are filled in at run time (withDefaults, the config loader). */
const filling: JsonSchema[] = [
  configSchema(),
  deliverySchema,
  programActionSchema,
  profilesSchema,
  ...BACKENDS.flatMap((definition) => [definition.configSchema, definition.notifySchema]),
  // Each source's and discovery protocol's settings, filled at every start: compiling them then
  // loaded ajv's compiler and took about a tenth of a second.
  ...SOURCES.flatMap((definition) => (definition.configSchema ? [definition.configSchema] : [])),
  ...PROTOCOLS.flatMap((definition) => (definition.configSchema ? [definition.configSchema] : [])),
];

rmSync(folder, { recursive: true, force: true });
mkdirSync(folder, { recursive: true });
const index: Record<string, string> = {};
for (const [schema, fillsDefaults] of [
  ...schemas.map((schema) => [schema, false] as const),
  ...filling.map((schema) => [schema, true] as const),
]) {
  const key = schemaKey(schema, fillsDefaults);
  if (index[key]) continue;
  // One ajv per schema: standalone code holds every schema its instance has compiled.
  const ajv = new Ajv2020({ ...(fillsDefaults ? AJV_DEFAULTS_OPTIONS : AJV_OPTIONS), code: { source: true } });
  const file = `${key.slice(0, 16)}.cjs`;
  writeFileSync(path.join(folder, file), standaloneCode.default(ajv, ajv.compile(schema)));
  index[key] = file;
}
writeFileSync(path.join(folder, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);

// What identifies this build of the engine: a hash of its code, generated validators included,
// and of the locked dependencies (a new YAML parser checks differently with the same code).
// Whatever an earlier build remembered of a profile's checks (check-cache.ts) counts only for it.
const engineFolder = path.resolve(folder, '../..');
const packageFolder = path.resolve(engineFolder, '../..');
const build = createHash('sha256');
const inputs = [
  ...['package.json', 'package-lock.json'].map((name) => path.join(packageFolder, name)).filter(existsSync),
  ...readdirSync(engineFolder, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(c?js|json)$/.test(name) && !name.endsWith(BUILD_FILE))
    .sort()
    .map((name) => path.join(engineFolder, name)),
];
for (const file of inputs) {
  build.update(`${path.relative(packageFolder, file)}\0`);
  build.update(readFileSync(file));
}
writeFileSync(path.join(folder, BUILD_FILE), `${JSON.stringify({ id: build.digest('hex') })}\n`);
process.stdout.write(`${Object.keys(index).length} validators generated in ${path.relative(process.cwd(), folder)}\n`);
