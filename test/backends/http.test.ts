// The http (webhook) backend against a real receiver on loopback, alone and inside a running engine.
import assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Change } from '../../engine/backends/backend.js';
import { httpBackend } from '../../engine/backends/http.js';
import { createLogger } from '../../engine/core/log.js';
import { deviceProfile, startEngine, waitFor, workspace } from '../daemon/engine-process.js';
import { startFakeWebhook, type FakeWebhook } from '../fakes/fake-webhook.js';
import { configIssues, notifyIssues } from './notify-options.js';

const signal = new AbortController().signal;
const change = (op: Change['op'], notify: Record<string, unknown> = {}): Change => ({
  op,
  identifier: 'gps:1',
  payload: { identifier: 'gps:1', name: 'GPS' },
  notify: { backend: 'hook', ...notify },
  facts: { serial: { path: '/dev/ttyACM0' } },
});

async function withHook(body: (hook: FakeWebhook) => Promise<void>): Promise<void> {
  const hook = await startFakeWebhook();
  try {
    await body(hook);
  } finally {
    await hook.close();
  }
}

const backendFor = (config: Record<string, unknown>) =>
  httpBackend.create!(config, { name: 'hook', log: createLogger('error'), stateDir: '/nonexistent' });

test('http config: a URL is required; methods and statuses are checked', () => {
  assert.deepEqual(
    configIssues(
      '    type: http\n    url: https://example.com/hook\n    headers: { authorization: "Bearer ${T}" }\n    successStatus: [200, 204]\n',
      { T: 'x' },
    ),
    [],
  );
  assert.deepEqual(configIssues('    type: http\n    method: POST\n'), [{ code: 'missing-key', line: 2, col: 3 }]);
  assert.deepEqual(configIssues('    type: http\n    url: https://example.com\n    method: FETCH\n'), [
    { code: 'invalid-value', line: 5, col: 13 },
  ]);
  assert.deepEqual(configIssues('    type: http\n    url: https://example.com\n    successStatus: [700]\n'), [
    { code: 'invalid-value', line: 5, col: 21 },
  ]);
});

test('http notify entries: a body per event, its JSON-logic checked against the change it reads', () => {
  const names = new Map([['hook', httpBackend]]);
  assert.deepEqual(
    notifyIssues(
      '{ backend: hook, body: { added: { var: "payload" }, removed: { cat: ["gone ", { var: "identifier" }] } } }',
      names,
    ),
    [],
  );
  assert.deepEqual(notifyIssues('{ backend: hook, bodies: {} }', names), [{ code: 'unknown-key', line: 5, col: 22 }]);
  assert.deepEqual(notifyIssues('{ backend: hook, body: { added: { log: "x" } } }', names), [
    { code: 'logic-unknown-operator', line: 5, col: 39 },
  ]);
  // A body reads the change (payload, identifier, facts.*...), not the facts' roots directly.
  assert.deepEqual(notifyIssues('{ backend: hook, body: { added: { var: "usb.vendorId" } } }', names), [
    { code: 'logic-unknown-fact', line: 5, col: 44 },
  ]);
});

describe('http backend', () => {
  test('default body: event, identifier and payload; headers as configured', () =>
    withHook(async (hook) => {
      const backend = backendFor({ url: hook.url, headers: { authorization: 'Bearer t0ken' } });
      assert.deepEqual(await backend.apply(change('create'), signal), { outcome: 'acknowledged' });
      assert.deepEqual(await backend.apply(change('delete'), signal), { outcome: 'acknowledged' });
      assert.deepEqual(
        hook.received.map((request) => [request.method, request.path, request.body]),
        [
          [
            'POST',
            '/hooks/devices',
            { event: 'added', identifier: 'gps:1', payload: { identifier: 'gps:1', name: 'GPS' } },
          ],
          [
            'POST',
            '/hooks/devices',
            { event: 'removed', identifier: 'gps:1', payload: { identifier: 'gps:1', name: 'GPS' } },
          ],
        ],
      );
      assert.equal(hook.received[0]!.headers.authorization, 'Bearer t0ken');
      assert.equal(hook.received[0]!.headers['content-type'], 'application/json');
    }));

  test('bodies by JSON-logic per event; the notify entry overrides the config', () =>
    withHook(async (hook) => {
      const backend = backendFor({
        url: hook.url,
        method: 'PUT',
        body: {
          added: { device: { var: 'identifier' }, port: { var: 'facts.serial.path' } },
          removed: { cat: ['gone: ', { var: 'identifier' }] },
        },
      });
      await backend.apply(change('create'), signal);
      await backend.apply(
        change('update', { body: { changed: { name: { var: 'payload.name' }, event: { var: 'event' } } } }),
        signal,
      );
      await backend.apply(change('delete'), signal);
      assert.deepEqual(
        hook.received.map((request) => [request.method, request.body]),
        [
          ['PUT', { device: 'gps:1', port: '/dev/ttyACM0' }],
          ['PUT', { name: 'GPS', event: 'changed' }],
          ['PUT', 'gone: gps:1'],
        ],
      );
    }));

  test('statuses: success list, retries on 503 with Retry-After, permanent 4xx, network errors and timeouts retried', () =>
    withHook(async (hook) => {
      const strict = backendFor({ url: hook.url, successStatus: [201], headers: { 'x-token': 'SECRET-TOKEN' } });
      hook.queue = [201, 200, 503, 400];
      hook.answerHeaders = { 'retry-after': '3' };
      assert.deepEqual(await strict.apply(change('create'), signal), { outcome: 'acknowledged' });
      assert.deepEqual(await strict.apply(change('create'), signal), {
        outcome: 'permanent',
        reason: 'HTTP 200 is not one of the success statuses 201',
      });
      assert.deepEqual(await strict.apply(change('create'), signal), {
        outcome: 'retry',
        reason: 'HTTP 503: failing with 503',
        afterMs: 3000,
      });
      assert.deepEqual(await strict.apply(change('create'), signal), {
        outcome: 'permanent',
        reason: 'HTTP 400: failing with 400',
      });
      hook.delayMs = 500;
      const impatient = backendFor({ url: hook.url, timeoutMs: 100 });
      assert.deepEqual(await impatient.apply(change('create'), signal), { outcome: 'retry', reason: 'timed out' });
      const gone = await startFakeWebhook();
      await gone.close();
      const nowhere = backendFor({ url: gone.url });
      assert.deepEqual(await nowhere.apply(change('create'), signal), {
        outcome: 'retry',
        reason: 'connection refused',
      });
    }));

  test('in the engine: a failing webhook is retried with backoff until it accepts; then removal is sent', () =>
    withHook(async (hook) => {
      const space = workspace();
      try {
        writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space, { backend: 'hook' }));
        writeFileSync(
          space.config,
          `delivery: { retryBaseMs: 50, retryCapMs: 200 }\nbackends:\n  hook: { type: http, url: "${hook.url}", headers: { x-token: "\${HOOK_TOKEN}" } }\n`,
        );
        const engine = await startEngine(space, [], { ...process.env, HOOK_TOKEN: 'tok-123' });
        try {
          hook.queue = [503, 503, 500];
          writeFileSync(path.join(space.dev, 'sensor1'), '');
          await waitFor('the webhook to accept', () => hook.received.some((request) => request.status === 200));
          assert.deepEqual(
            hook.received.map((request) => request.status),
            [503, 503, 500, 200],
          );
          assert.ok(hook.received.every((request) => request.headers['x-token'] === 'tok-123'));
          assert.equal((hook.received[3]!.body as { event: string }).event, 'added');
          unlinkSync(path.join(space.dev, 'sensor1'));
          await waitFor('the removal', () =>
            hook.received.some((request) => (request.body as { event: string }).event === 'removed'),
          );
          assert.equal(hook.received.length, 5, 'nothing sent twice once acknowledged');
          assert.ok(
            !engine.logs.some((line) => JSON.stringify(line).includes('tok-123')),
            'the header value is never logged',
          );
        } finally {
          await engine.stop();
        }
      } finally {
        rmSync(space.root, { recursive: true, force: true });
      }
    }));
});
