// The validators generated at build time (ajv standalone code) must judge exactly as ajv
// compiling the same schema at run time: same verdict, same errors, on every shipped and test
// profile, valid or not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { BACKENDS, builtInBackendNames } from '../../engine/backends/index.js';
import { configSchema } from '../../engine/config/config-schema.js';
import { AJV_DEFAULTS_OPTIONS, AJV_OPTIONS, prebuiltValidator } from '../../engine/core/prebuilt-validators.js';
import { validationContext } from '../../engine/profiles/load-profiles.js';
import { profileSchema } from '../../engine/profiles/profile-schema.js';
import { validateProfileText } from '../../engine/profiles/validate-profile.js';
import type { JsonSchema } from '../../engine/core/json-schema.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');

function yamlFiles(folder: string): unknown[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.yaml'))
    .flatMap((name) => {
      try {
        return [parse(readFileSync(path.join(folder, name), 'utf8'), { maxAliasCount: 100 }) as unknown];
      } catch {
        return [];
      }
    });
}

describe('validators generated at build time', () => {
  const built = spawnSync(process.execPath, [path.join(ROOT, 'dist/engine/profiles/build-validators.js')], {
    encoding: 'utf8',
  });

  test('the build step generates one for each schema known at build time', () => {
    assert.equal(built.status, 0, built.stderr);
    for (const schema of [profileSchema(), configSchema()])
      assert.ok(prebuiltValidator(schema), 'a generated validator');
  });

  test('they judge every shipped and test profile, and every document, as ajv compiling at run time does', () => {
    const profiles = [
      ...yamlFiles(path.join(ROOT, 'profiles')),
      ...yamlFiles(path.join(ROOT, 'test/profiles/bad')),
      ...yamlFiles(path.join(ROOT, 'test/profiles/good')),
    ];
    const cases: [JsonSchema, unknown[]][] = [
      [profileSchema(), profiles],
      [
        configSchema(),
        [{}, { backends: { a: { type: 'stdout' } } }, { backends: 3 }, { params: [], delivery: { concurrency: -1 } }],
      ],
      ...BACKENDS.flatMap((definition) =>
        definition.documentSchema
          ? [
              [definition.documentSchema, profiles.map((profile) => (profile as { map?: unknown })?.map ?? null)] as [
                JsonSchema,
                unknown[],
              ],
            ]
          : [],
      ),
    ];
    let checked = 0;
    for (const [schema, documents] of cases) {
      const generated = prebuiltValidator(schema);
      assert.ok(generated);
      const compiled = new Ajv2020(AJV_OPTIONS).compile(schema);
      for (const document of documents) {
        const verdict: boolean = generated(document) as boolean;
        assert.equal(verdict, compiled(document));
        assert.deepEqual(generated.errors ?? null, compiled.errors ?? null);
        checked += 1;
      }
    }
    assert.ok(checked > 100, `${checked} documents checked`);
  });

  test('those that fill defaults in fill exactly what ajv compiling at run time with useDefaults fills', () => {
    const configs = [
      {},
      { delivery: {}, sources: { usb: {}, serial: {} } },
      ...BACKENDS.map((definition) => ({ backends: { one: { type: definition.type, ...definition.example.config } } })),
    ];
    const cases: [JsonSchema, unknown[]][] = [
      [configSchema(), configs],
      ...BACKENDS.map(
        (definition) => [definition.configSchema, [{}, definition.example.config]] as [JsonSchema, unknown[]],
      ),
      ...BACKENDS.map(
        (definition) => [definition.notifySchema, [{}, definition.example.notify]] as [JsonSchema, unknown[]],
      ),
    ];
    for (const [schema, documents] of cases) {
      const generated = prebuiltValidator(schema, true);
      assert.ok(generated, 'a generated validator that fills defaults in');
      const compiled = new Ajv2020(AJV_DEFAULTS_OPTIONS).compile(schema);
      for (const document of documents) {
        const [byGenerated, byCompiled] = [structuredClone(document), structuredClone(document)];
        assert.equal(generated(byGenerated), compiled(byCompiled));
        assert.deepEqual(byGenerated, byCompiled);
        assert.deepEqual(generated.errors ?? null, compiled.errors ?? null);
      }
    }
    const filled: Record<string, unknown> = {};
    prebuiltValidator(configSchema(), true)!(filled);
    assert.deepEqual(filled, {}, 'nothing is filled into a key the file leaves out');
  });

  test('the schema keyed by backend type finds exactly what a schema built for the names finds', () => {
    const builtIn = builtInBackendNames();
    // A config's names: the built-ins, plus other names for the same types.
    const renamed = new Map([
      ...builtIn,
      ...[...builtIn].map(([name, definition]) => [`site-${name}`, definition] as const),
    ]);
    const folders = ['profiles', 'test/profiles/bad', 'test/profiles/good'].map((folder) => path.join(ROOT, folder));
    let compared = 0;
    for (const folder of folders) {
      for (const name of readdirSync(folder).filter((file) => file.endsWith('.yaml'))) {
        const text = readFileSync(path.join(folder, name), 'utf8');
        for (const backends of [builtIn, renamed]) {
          const variants = [text, text.replace(/backend: (\w+)/g, 'backend: site-$1')];
          for (const variant of variants) {
            const byType = validateProfileText(name, variant, validationContext(backends)).issues;
            const byName = validateProfileText(name, variant, { backends, schema: profileSchema(backends) }).issues;
            assert.deepEqual(byType, byName, `${name}`);
            compared += 1;
          }
        }
      }
    }
    assert.ok(compared > 400, `${compared} files compared`);
  });
});
