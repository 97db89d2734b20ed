// Defaults are written once, in the schemas: the config loader and each backend's `create` fill
// them in with ajv, and the option types are derived from the same schemas. A profile is never
// filled: its notify entries stay as written (what /profiles shows and the state compares).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { programActionSchema } from '../engine/actions/program-action.js';
import { builtInBackendNames } from '../engine/backends/index.js';
import { parseConfig } from '../engine/config/load-config.js';
import type { FromSchema, WithDefaults } from '../engine/core/from-schema.js';
import { withDefaults } from '../engine/core/with-defaults.js';
import { profileSchema } from '../engine/profiles/profile-schema.js';
import { validateProfileText } from '../engine/profiles/validate-profile.js';

describe('defaults from the schemas', () => {
  test('the config loader fills every default of the schema in, and keeps what the file gives', () => {
    const text =
      'delivery:\n  concurrency: 2\nsources:\n  usb: {}\nbackends:\n  hook:\n    type: http\n    url: http://127.0.0.1:1/x\n    timeoutMs: 500\n  agent:\n    type: nuvlabox-agent\n';
    const { config, issues } = parseConfig('engine.yaml', text, {});
    assert.deepEqual(issues, []);
    assert.deepEqual(config!.delivery, { retryBaseMs: 500, retryCapMs: 60_000, concurrency: 2 });
    assert.deepEqual(config!.sources, { usb: { mode: 'auto', pollIntervalMs: 5000, resyncMs: 30000, holdMs: 2000 } });
    assert.deepEqual(
      config!.backends.map(({ name, options }) => [name, options]),
      [
        ['hook', { url: 'http://127.0.0.1:1/x', method: 'POST', timeoutMs: 500, expectJson: false }],
        ['agent', { url: 'http://agent/api', requestTimeoutMs: 10000 }],
      ],
    );
  });

  test("without a delivery block, the delivery defaults are the schema's; the concurrency is left to each backend", () => {
    assert.deepEqual(parseConfig('engine.yaml', 'params: {}\n', {}).config!.delivery, {
      retryBaseMs: 500,
      retryCapMs: 60_000,
    });
  });

  test('withDefaults fills a copy, nested objects included, and leaves the value given alone', () => {
    const written = { argv: ['/bin/true'] };
    assert.deepEqual(withDefaults(programActionSchema, written), { argv: ['/bin/true'], timeoutMs: 30_000 });
    assert.deepEqual(written, { argv: ['/bin/true'] });
    assert.deepEqual(withDefaults(programActionSchema, { argv: ['/bin/true'], timeoutMs: 5 }), {
      argv: ['/bin/true'],
      timeoutMs: 5,
    });
  });

  test('a profile keeps its notify entry as written: no default is filled into it', () => {
    const text =
      'name: stick\ndetect: { file: { path: /dev/x } }\nmap: { identifier: x, classes: [x] }\nnotify:\n  - { backend: balena, appId: 1, onUpdate: { argv: [/bin/true] } }\n';
    const backends = builtInBackendNames();
    const { profile, issues } = validateProfileText('stick.yaml', text, { backends, schema: profileSchema(backends) });
    assert.deepEqual(issues, []);
    assert.deepEqual(profile!.notify, [{ backend: 'balena', appId: 1, onUpdate: { argv: ['/bin/true'] } }]);
    assert.equal(profile!.priority, undefined);
  });

  test('option types follow the schema: a default makes a key present once filled, and only then', () => {
    const schema = {
      type: 'object',
      required: ['url'],
      properties: {
        url: { type: 'string' },
        method: { enum: ['GET', 'POST'], default: 'POST' },
        tags: { type: 'array', items: { type: 'string' } },
      },
    } as const;
    const written: FromSchema<typeof schema> = { url: 'u' };
    const filled: WithDefaults<typeof schema> = { url: 'u', method: 'GET' };
    // @ts-expect-error once filled, a key with a default is there
    const missing: WithDefaults<typeof schema> = { url: 'u' };
    // @ts-expect-error a value the enum does not allow
    const wrong: FromSchema<typeof schema> = { url: 'u', method: 'PUT' };
    // @ts-expect-error a required key
    const noUrl: FromSchema<typeof schema> = {};
    assert.ok([written, filled, missing, wrong, noUrl]);
  });
});
