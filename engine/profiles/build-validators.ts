// Build step (`npm run build`): writes ajv standalone code for every schema known at build time
// into dist/engine/profiles/validators/, with an index by schema hash. See prebuilt-validators.ts.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { BACKENDS } from '../backends/index.js';
import { configSchema } from '../config/config-schema.js';
import type { JsonSchema } from '../sources/source-definition.js';
import { partialDocumentSchema } from './lint-profile.js';
import { AJV_OPTIONS, PREBUILT_FOLDER, schemaKey } from './prebuilt-validators.js';
import { profileSchema, typeKeyedProfileSchema } from './profile-schema.js';

const folder = path.join(path.dirname(fileURLToPath(import.meta.url)), PREBUILT_FOLDER);
const documentSchemas = BACKENDS.flatMap((definition) => (definition.documentSchema ? [definition.documentSchema] : []));
const schemas: JsonSchema[] = [typeKeyedProfileSchema(), profileSchema(), configSchema(), ...documentSchemas, ...documentSchemas.map(partialDocumentSchema)];

rmSync(folder, { recursive: true, force: true });
mkdirSync(folder, { recursive: true });
const index: Record<string, string> = {};
for (const schema of schemas) {
  const key = schemaKey(schema);
  if (index[key]) continue;
  // One ajv per schema: standalone code holds every schema its instance has compiled.
  const ajv = new Ajv2020({ ...AJV_OPTIONS, code: { source: true } });
  const file = `${key.slice(0, 16)}.cjs`;
  writeFileSync(path.join(folder, file), standaloneCode.default(ajv, ajv.compile(schema)));
  index[key] = file;
}
writeFileSync(path.join(folder, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);
process.stdout.write(`${Object.keys(index).length} validators generated in ${path.relative(process.cwd(), folder)}\n`);
