// Every registry entry carries what the rest of the engine derives from it: a schema that
// compiles, an example that its own schema accepts, and (for backends) a test of its own.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { BACKENDS } from '../engine/backends/index.js';
import { SOURCES } from '../engine/sources/index.js';
import { ROOT } from './paths.js';

const ajv = new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true });

describe('backend registry', () => {
  test('type names are unique, and so are built-in names', () => {
    assert.equal(new Set(BACKENDS.map((definition) => definition.type)).size, BACKENDS.length);
    const builtIns = BACKENDS.flatMap((definition) => (definition.builtIn ? [definition.builtIn.name] : []));
    assert.equal(new Set(builtIns).size, builtIns.length);
  });
  for (const definition of BACKENDS) {
    test(`${definition.type}: schemas compile, its example passes them, it has a test`, () => {
      assert.ok(definition.description.length > 20);
      assert.ok(ajv.validate(definition.configSchema, definition.example.config), ajv.errorsText());
      assert.ok(ajv.validate(definition.notifySchema, definition.example.notify), ajv.errorsText());
      assert.ok(
        !ajv.validate(definition.configSchema, { ...definition.example.config, 'no-such-option': 1 }),
        'unknown config options must fail',
      );
      // Its test runs in the test process, or is a system test (`.system.test.ts`: it uses flock(1)).
      assert.ok(
        ['test.ts', 'system.test.ts'].some((ending) =>
          existsSync(path.join(ROOT, 'test', 'backends', `${definition.type}.${ending}`)),
        ),
        `test/backends/${definition.type}.test.ts is missing`,
      );
    });
  }
});

describe('source registry', () => {
  for (const source of SOURCES) {
    test(`${source.kind}: detect schema compiles and accepts its examples; facts are described`, () => {
      const examples = source.detectSchema.examples as unknown[];
      assert.ok(examples.length > 0);
      for (const example of examples) assert.ok(ajv.validate(source.detectSchema, example), ajv.errorsText());
      assert.ok(Object.keys(source.facts).length > 0);
      for (const description of Object.values(source.facts)) assert.ok(description.length > 3);
    });
  }
});
