// The balena-supervisor backend against a fake supervisor on loopback (test/fakes), and its hook
// server called back by that fake.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { ApplyResult, Backend, Change } from '../../engine/backends/backend.js';
import { balenaSupervisorBackend } from '../../engine/backends/balena/balena-supervisor.js';
import { defaultConfig } from '../../engine/config/load-config.js';
import { createLogger } from '../../engine/core/log.js';
import { waitFor } from '../daemon/engine-process.js';
import { startFakeSupervisor, type FakeSupervisor } from '../fakes/fake-balena-supervisor.js';
import { configIssues, notifyIssues } from './notify-options.js';

test('balena notify entries need a positive integer appId', () => {
  assert.deepEqual(notifyIssues('{ backend: balena, appId: 13015 }'), []);
  assert.deepEqual(notifyIssues('{ backend: balena, appId: 13015, deviceType: generic-amd64 }'), []);
  assert.deepEqual(notifyIssues('{ backend: balena }'), [{ code: 'missing-key', line: 5, col: 5 }]);
  assert.deepEqual(notifyIssues('{ backend: balena, appId: 0 }'), [{ code: 'invalid-value', line: 5, col: 31 }]);
  assert.deepEqual(notifyIssues('{ backend: balena, appId: "13015" }'), [{ code: 'wrong-type', line: 5, col: 31 }]);
  assert.deepEqual(
    notifyIssues('{ backend: balena, appId: 1, onUpdate: { argv: [/usr/bin/flash], timeoutMs: 60000 } }'),
    [],
  );
  assert.deepEqual(notifyIssues('{ backend: balena, appId: 1, onRestart: { timeoutMs: 60000 } }'), [
    { code: 'missing-key', line: 5, col: 34 },
  ]);
});

test('balena-supervisor config: the key may come from the environment', () => {
  assert.deepEqual(
    configIssues('    type: balena-supervisor\n    address: http://127.0.0.1:48484\n    apiKey: ${KEY}\n', {
      KEY: 's3cret',
    }),
    [],
  );
  assert.deepEqual(configIssues('    type: balena-supervisor\n    apiKey: ${KEY}\n'), [
    { code: 'env-undefined', line: 4, col: 13 },
  ]);
  assert.deepEqual(configIssues('    type: balena-supervisor\n    apiKeyIn: cookie\n'), [
    { code: 'invalid-value', line: 4, col: 15 },
  ]);
});

test('the built-in balena backend reads the supervisor variables', () => {
  const env = { BALENA_SUPERVISOR_ADDRESS: 'http://127.0.0.1:48484', BALENA_SUPERVISOR_API_KEY: 'k' };
  const balena = defaultConfig(env).backends.find((backend) => backend.name === 'balena');
  assert.deepEqual(balena?.options, {
    address: 'http://127.0.0.1:48484',
    apiKey: 'k',
    hookAddress: 'http://0.0.0.0:1337/v1/devices/',
  });
});

test('a supervisor that echoes the API key, raw or URL-encoded, gets it into no reason', async () => {
  const apiKey = 'k3y/with+slash';
  const echo = createServer((_request, response) =>
    response.writeHead(500).end(JSON.stringify({ error: `refused ${apiKey} (${encodeURIComponent(apiKey)})` })),
  );
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  const backend = balenaSupervisorBackend.create(
    { address, apiKey, hooks: false, requestTimeoutMs: 1000 },
    { name: 'balena', log: createLogger('error'), stateDir: mkdtempSync(path.join(tmpdir(), 'balena-echo-')) },
  );
  const result = await backend.apply(
    {
      op: 'create',
      identifier: 'zwave:1',
      payload: { identifier: 'zwave:1' },
      notify: { backend: 'balena', appId: 1 },
    },
    new AbortController().signal,
  );
  await backend.close();
  echo.close();
  assert.deepEqual(result, { outcome: 'retry', reason: 'provisioning: HTTP 500: refused [redacted] ([redacted])' });
});

const scratch = mkdtempSync(path.join(tmpdir(), 'balena-backend-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const signal = new AbortController().signal;

/** A backend on a fresh (or given) state folder; `hookPort` once its hook server listens. */
async function balena(
  supervisor: FakeSupervisor,
  options: { stateDir?: string; config?: Record<string, unknown> } = {},
) {
  const stateDir = options.stateDir ?? path.join(scratch, String(counter++));
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const config = {
    address: supervisor.url,
    apiKey: supervisor.apiKey,
    hookAddress: 'http://127.0.0.1:0/v1/devices/',
    requestTimeoutMs: 1000,
    ...options.config,
  };
  const backend: Backend = balenaSupervisorBackend.create!(config, { name: 'balena', log, stateDir });
  await backend.start?.();
  const listening = lines.find((line) => line.msg === 'balena hook server listening');
  const hookAddress = listening ? `http://127.0.0.1:${String(listening.port)}/v1/devices/` : '';
  return { backend, stateDir, lines, hookAddress, stateFile: path.join(stateDir, 'balena-balena.json') };
}

const change = (op: Change['op'], notify: Record<string, unknown> = {}, identifier = 'zwave:1'): Change => ({
  op,
  identifier,
  payload: { identifier, name: 'Z-Wave stick' },
  notify: { backend: 'balena', appId: 13015, ...notify },
  facts: { serial: { path: '/dev/ttyACM0' } },
  profile: 'zwave-stick',
});

async function withSupervisor(
  body: (supervisor: FakeSupervisor) => Promise<void>,
  options?: Parameters<typeof startFakeSupervisor>[0],
): Promise<void> {
  const supervisor = await startFakeSupervisor(options);
  try {
    await body(supervisor);
  } finally {
    await supervisor.close();
  }
}

/** The uuid an acknowledgement returned. */
function uuidOf(result: ApplyResult): string {
  assert.equal(result.outcome, 'acknowledged', JSON.stringify(result));
  return String((result as { remote?: { uuid?: unknown } }).remote?.uuid);
}

const posts = (supervisor: FakeSupervisor) =>
  supervisor.requests.filter((request) => request.method === 'POST' && request.path === '/v1/devices');
const savedUuid = (stateFile: string, identifier = 'zwave:1') =>
  (JSON.parse(readFileSync(stateFile, 'utf8')) as { devices: Record<string, { uuid: string }> }).devices[identifier]
    ?.uuid;

describe('balena-supervisor backend', () => {
  test('provisions once, reports online and offline with a log line each; replug and restart keep the uuid', () =>
    withSupervisor(async (supervisor) => {
      const first = await balena(supervisor);
      const started = Date.now();
      const added = await first.backend.apply(change('create'), signal);
      assert.equal(added.outcome, 'acknowledged');
      const uuid = uuidOf(added);
      assert.equal(savedUuid(first.stateFile), uuid, 'the uuid is on disk');
      const device = supervisor.devices.get(uuid)!;
      assert.deepEqual(
        [device.appId, device.device_type, device.is_online, device.status],
        [13015, 'generic', true, 'Idle'],
      );
      assert.deepEqual(await first.backend.apply(change('delete'), signal), {
        outcome: 'acknowledged',
        remote: { uuid },
      });
      assert.deepEqual([device.is_online, device.status], [false, 'Offline']);
      await first.backend.apply(change('create'), signal);
      await first.backend.close();
      const second = await balena(supervisor, { stateDir: first.stateDir });
      assert.deepEqual(await second.backend.apply(change('update'), signal), {
        outcome: 'acknowledged',
        remote: { uuid },
      });
      await second.backend.close();
      assert.equal(posts(supervisor).length, 1, 'never provisioned twice');
      assert.deepEqual(
        device.logs.map((line) => line.message),
        ['added: zwave:1', 'removed: zwave:1', 'added: zwave:1', 'changed: zwave:1'],
      );
      assert.deepEqual(device.droppedLogs, [], 'every line is a system line, which the dashboard shows');
      assert.ok(
        device.logs.every(
          (line) => line.isSystem === true && line.timestamp! >= started && line.timestamp! <= Date.now(),
        ),
        'timestamps in milliseconds',
      );
      assert.ok(supervisor.requests.every((request) => request.keyIn === 'header'));
    }));

  test('a saved device of the wrong shape is dropped alone: the good ones keep their uuid and are never provisioned twice', () =>
    withSupervisor(async (supervisor) => {
      const first = await balena(supervisor);
      const uuid = uuidOf(await first.backend.apply(change('create'), signal));
      const other = uuidOf(await first.backend.apply(change('create', {}, 'zwave:2'), signal));
      await first.backend.close();
      // zwave:2 damaged by hand (no uuid), and entries that are not devices at all.
      const saved = JSON.parse(readFileSync(first.stateFile, 'utf8')) as {
        version: number;
        devices: Record<string, Record<string, unknown>>;
      };
      delete saved.devices['zwave:2']!['uuid'];
      Object.assign(saved.devices, {
        'zwave:3': null,
        'zwave:4': { uuid: 'u', appId: '13015', deviceType: 'generic', online: true },
      });
      writeFileSync(first.stateFile, JSON.stringify(saved));
      const second = await balena(supervisor, { stateDir: first.stateDir });
      assert.equal(second.lines.filter((line) => line.msg === 'state entry of the wrong shape; dropped').length, 3);
      assert.deepEqual(await second.backend.apply(change('update'), signal), {
        outcome: 'acknowledged',
        remote: { uuid },
      });
      assert.equal(posts(supervisor).length, 2, 'the good device is not provisioned again');
      assert.equal(savedUuid(second.stateFile), uuid, 'nothing that was good is lost');
      assert.deepEqual(
        Object.keys((JSON.parse(readFileSync(second.stateFile, 'utf8')) as { devices: object }).devices),
        ['zwave:1'],
      );
      await second.backend.close();
      assert.ok(supervisor.devices.has(other), 'the dropped device is only forgotten by the engine, not touched');
    }));

  test('410 (deleted in the cloud): the uuid is forgotten and the present device provisioned again', () =>
    withSupervisor(async (supervisor) => {
      const { backend, stateFile } = await balena(supervisor);
      const old = uuidOf(await backend.apply(change('create'), signal));
      await backend.apply(change('delete'), signal);
      supervisor.markDeleted(old);
      const again = await backend.apply(change('create'), signal);
      const renewed = uuidOf(again);
      assert.notEqual(renewed, old);
      assert.equal(savedUuid(stateFile), renewed);
      assert.equal(supervisor.devices.get(renewed)!.is_online, true);
      assert.equal(posts(supervisor).length, 2);
      // Gone while the device is absent too: nothing to report offline, nothing provisioned.
      supervisor.markDeleted(renewed);
      assert.deepEqual(await backend.apply(change('delete'), signal), { outcome: 'acknowledged' });
      assert.equal(savedUuid(stateFile), undefined);
      assert.equal(posts(supervisor).length, 2);
      await backend.close();
    }));

  test('a supervisor v14.8.0 or later has no dependent-device API: a permanent failure saying which have it and what to use instead', () =>
    withSupervisor(
      async (current) => {
        const { backend } = await balena(current);
        try {
          const result = await backend.apply(change('create'), signal);
          assert.equal(result.outcome, 'permanent');
          const reason = result.outcome === 'permanent' ? result.reason : '';
          assert.match(reason, /^provisioning: HTTP 404: this supervisor has no dependent-device API/);
          assert.match(reason, /2\.5 to 14\.7/);
          assert.match(reason, /v14\.8\.0 \(February 2023\)/);
          assert.match(reason, /link backend.*exec.*http backend/);
          assert.deepEqual(
            current.requests.map((request) => `${request.method} ${request.path} ${request.status}`),
            ['POST /v1/devices 404'],
          );
        } finally {
          await backend.close();
        }
      },
      { dependentDeviceApi: false },
    ));

  test('a device provisioned before the supervisor was upgraded past 14.7 keeps its uuid: online fails, offline is done', () =>
    withSupervisor(async (old) => {
      const first = await balena(old);
      const uuid = uuidOf(await first.backend.apply(change('create'), signal));
      await first.backend.close();
      await withSupervisor(
        async (current) => {
          const { backend, stateFile } = await balena(current, { stateDir: first.stateDir });
          try {
            const online = await backend.apply(change('update'), signal);
            assert.equal(online.outcome, 'permanent');
            assert.match(
              online.outcome === 'permanent' ? online.reason : '',
              /^reporting online: HTTP 404: this supervisor has no dependent-device API/,
            );
            assert.deepEqual(await backend.apply(change('delete'), signal), {
              outcome: 'acknowledged',
              remote: { uuid },
            });
            assert.equal(savedUuid(stateFile), uuid, 'nothing was forgotten, so nothing is provisioned twice');
            assert.deepEqual(
              current.requests.map((request) => `${request.method} ${request.status}`),
              ['PUT 404', 'PUT 404'],
            );
          } finally {
            await backend.close();
          }
        },
        { apiKey: old.apiKey, dependentDeviceApi: false },
      );
    }));

  test('401 is permanent, 503 and a supervisor that is down are retried, a bad appId is permanent; no duplicate', () =>
    withSupervisor(async (supervisor) => {
      const wrongKey = await balena(supervisor, { config: { apiKey: 'not-the-key', apiKeyIn: 'query' } });
      const refused = await wrongKey.backend.apply(change('create'), signal);
      assert.deepEqual(refused, {
        outcome: 'permanent',
        reason: 'provisioning: HTTP 401: the supervisor refused the API key (BALENA_SUPERVISOR_API_KEY)',
      });
      assert.equal(supervisor.requests.at(-1)!.keyIn, 'query');
      await wrongKey.backend.close();
      const { backend, stateFile, lines } = await balena(supervisor);
      supervisor.failNext(1, 503);
      const unavailable = await backend.apply(change('create'), signal);
      assert.equal(unavailable.outcome, 'retry');
      assert.match(
        (unavailable as { reason: string }).reason,
        /^provisioning: HTTP 503: failing on purpose \(the supervisor also answers 503 for an appId the cloud does not know: check appId 13015/,
      );
      supervisor.down = true;
      assert.deepEqual(await backend.apply(change('create'), signal), {
        outcome: 'retry',
        reason: 'provisioning: connection closed by the server',
      });
      supervisor.down = false;
      assert.equal((await backend.apply(change('create'), signal)).outcome, 'acknowledged');
      // The PUT after a provisioning fails: the uuid is kept, the retry does not POST again.
      supervisor.failNext(1, 503, 'PUT');
      assert.equal((await backend.apply(change('create', {}, 'gps:1'), signal)).outcome, 'retry');
      assert.ok(savedUuid(stateFile, 'gps:1'));
      assert.equal((await backend.apply(change('create', {}, 'gps:1'), signal)).outcome, 'acknowledged');
      assert.equal(posts(supervisor).filter((request) => request.status === 201).length, 2);
      // Nonsense: a 201 without a uuid records nothing and is retried.
      supervisor.failNext(1, 201, 'POST');
      assert.deepEqual(await backend.apply(change('create', {}, 'odd:1'), signal), {
        outcome: 'retry',
        reason: 'provisioning: the supervisor answered 201 without a usable uuid',
      });
      assert.equal(savedUuid(stateFile, 'odd:1'), undefined);
      // An appId the cloud does not know is a 503 like a cloud outage: retried, and said so.
      const unknownApp = await backend.apply(change('create', { appId: 999 }, 'other:1'), signal);
      assert.equal(unknownApp.outcome, 'retry');
      assert.match((unknownApp as { reason: string }).reason, /appId the cloud does not know: check appId 999/);
      const badApp = await backend.apply(change('create', { appId: 0 }, 'other:2'), signal);
      assert.deepEqual(badApp, {
        outcome: 'permanent',
        reason: 'provisioning: HTTP 400: appId must be a positive integer',
      });
      assert.ok(!lines.some((line) => JSON.stringify(line).includes(supervisor.apiKey)));
      await backend.close();
    }));

  test('the key in the query string never reaches a reason or a log line', () =>
    withSupervisor(async (supervisor) => {
      const { backend, lines } = await balena(supervisor, { config: { apiKeyIn: 'query' } });
      supervisor.failNext(1, 503);
      const failed = await backend.apply(change('create'), signal);
      assert.equal(failed.outcome, 'retry');
      assert.equal((await backend.apply(change('create'), signal)).outcome, 'acknowledged');
      assert.ok(supervisor.requests.every((request) => request.keyIn === 'query'));
      assert.ok(!JSON.stringify([failed, lines]).includes(supervisor.apiKey));
      await backend.close();
    }));

  test('without address or key: every change fails permanently, saying what is missing, and no port is opened', async () => {
    const backend = balenaSupervisorBackend.create!(
      { hookAddress: 'http://127.0.0.1:0/v1/devices/' },
      { name: 'balena', log: createLogger('error'), stateDir: scratch },
    );
    assert.equal(backend.start, undefined);
    assert.deepEqual(await backend.apply(change('create'), signal), {
      outcome: 'permanent',
      reason: 'not configured: address (BALENA_SUPERVISOR_ADDRESS) and apiKey (BALENA_SUPERVISOR_API_KEY) are not set',
    });
  });
});

describe('balena hook server', () => {
  test('unknown uuids 404, malformed bodies 400, wrong paths and methods refused; nothing crashes', () =>
    withSupervisor(async (supervisor) => {
      const { backend, hookAddress } = await balena(supervisor);
      const uuid = uuidOf(await backend.apply(change('create'), signal));
      const hook = (method: 'PUT' | 'DELETE', id: string, options?: Parameters<FakeSupervisor['hook']>[3]) =>
        supervisor.hook(hookAddress, method, id, options).then((answer) => answer.status);
      assert.equal(await hook('PUT', 'f00', { body: { commit: 'abc' } }), 404);
      assert.equal(await hook('PUT', uuid, { rawBody: '{"commit":' }), 400);
      assert.equal(await hook('PUT', uuid, { rawBody: '[1,2]' }), 400);
      assert.equal(await hook('PUT', uuid, { body: { commit: 42 } }), 400);
      assert.equal(await hook('PUT', uuid, { body: { commit: 'abc', environment: 'x' } }), 400);
      assert.equal(
        await hook('PUT', uuid, { rawBody: JSON.stringify({ commit: 'x'.repeat(70_000) }) }).catch(() => 413),
        413,
      );
      assert.equal(await hook('PUT', uuid, { suffix: '/reboot' }), 404);
      assert.equal(await hook('DELETE', uuid, { suffix: '/restart' }), 405);
      assert.equal(await hook('PUT', '..%2F..%2Fetc', { body: {} }), 404);
      // No update action: the target is recorded, there is nothing to do.
      assert.equal(
        await hook('PUT', uuid, { body: { appId: 13015, commit: 'abc', environment: { A: '1' }, config: {} } }),
        200,
      );
      assert.equal(await hook('PUT', uuid, { suffix: '/restart' }), 200);
      // Bytes that are not HTTP at all: the connection is refused, the server carries on.
      const { port } = new URL(hookAddress);
      const reply = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.end('\u0000\u0001 GARBAGE / HTTP/9\r\n\r\n'));
        let text = '';
        socket
          .setEncoding('utf8')
          .on('data', (chunk: string) => (text += chunk))
          .on('close', () => resolve(text));
      });
      assert.match(reply, /^HTTP\/1\.1 400/);
      assert.equal(await hook('PUT', uuid, { body: { commit: 'abc' } }), 200);
      await backend.close();
    }));

  test('update hook: 202 while the action runs, the commit reported after, then 200', () =>
    withSupervisor(async (supervisor) => {
      const marker = path.join(scratch, `updated-${counter}.txt`);
      const script = path.join(scratch, `update-${counter}.mjs`);
      writeFileSync(
        script,
        `import { writeFileSync } from 'node:fs';\nawait new Promise((resolve) => setTimeout(resolve, 300));\nwriteFileSync(${JSON.stringify(marker)}, [process.env.BALENA_DEVICE_UUID, process.env.BALENA_APP_COMMIT, process.env.BALENA_DEVICE_ENVIRONMENT, process.env.DEVICE_SERIAL_PATH, process.env.BALENA_SUPERVISOR_API_KEY ?? 'no key'].join(' '));\n`,
      );
      const onUpdate = { argv: [process.execPath, script], timeoutMs: 5000 };
      const { backend, hookAddress, stateFile } = await balena(supervisor);
      const uuid = uuidOf(await backend.apply(change('create', { onUpdate }), signal));
      const target = {
        appId: 13015,
        commit: 'd43bea5e',
        environment: { MODE: 'fast' },
        config: { RESIN_SUPERVISOR_DELTA: '1' },
      };
      assert.equal((await supervisor.hook(hookAddress, 'PUT', uuid, { body: target })).status, 202);
      assert.equal(
        (await supervisor.hook(hookAddress, 'PUT', uuid, { body: target })).status,
        202,
        'still running: accepted, not started twice',
      );
      await waitFor('the commit to be reported', () => supervisor.devices.get(uuid)!.commit === 'd43bea5e');
      assert.equal(readFileSync(marker, 'utf8'), `${uuid} d43bea5e {"MODE":"fast"} /dev/ttyACM0 no key`);
      assert.deepEqual(supervisor.devices.get(uuid)!.environment, { MODE: 'fast' });
      await waitFor(
        'the action to end',
        async () => (await supervisor.hook(hookAddress, 'PUT', uuid, { body: target })).status === 200,
      );
      const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as {
        devices: Record<string, { commit: string; target: { commit: string } }>;
      };
      assert.deepEqual(
        [saved.devices['zwave:1']!.commit, saved.devices['zwave:1']!.target.commit],
        ['d43bea5e', 'd43bea5e'],
      );
      assert.ok(supervisor.devices.get(uuid)!.logs.some((line) => line.message === 'updated to d43bea5e'));
      await backend.close();
    }));

  test('a failing update action is not reported: the hook keeps answering 202 and runs it again', () =>
    withSupervisor(async (supervisor) => {
      const script = path.join(scratch, `fail-${counter}.mjs`);
      writeFileSync(script, 'process.exit(2);\n');
      const { backend, hookAddress } = await balena(supervisor);
      const uuid = uuidOf(
        await backend.apply(change('create', { onUpdate: { argv: [process.execPath, script] } }), signal),
      );
      assert.equal((await supervisor.hook(hookAddress, 'PUT', uuid, { body: { commit: 'c1' } })).status, 202);
      await waitFor('the failure to be logged to the supervisor', () =>
        supervisor.devices.get(uuid)!.logs.some((line) => line.message.startsWith('update to c1 failed')),
      );
      assert.equal(supervisor.devices.get(uuid)!.commit, null);
      await waitFor(
        'the hook to be accepted again',
        async () => (await supervisor.hook(hookAddress, 'PUT', uuid, { body: { commit: 'c1' } })).status === 202,
      );
      await backend.close();
    }));

  test('restart hook runs the restart action; delete hook forgets the device, which is provisioned anew at its next change', () =>
    withSupervisor(async (supervisor) => {
      const marker = path.join(scratch, `restarted-${counter}.txt`);
      const script = path.join(scratch, `restart-${counter}.mjs`);
      writeFileSync(
        script,
        `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, process.env.DEVICE_EVENT);\n`,
      );
      const { backend, hookAddress, stateFile } = await balena(supervisor);
      const notify = { onRestart: { argv: [process.execPath, script] } };
      const uuid = uuidOf(await backend.apply(change('create', notify), signal));
      assert.equal((await supervisor.hook(hookAddress, 'PUT', uuid, { suffix: '/restart' })).status, 200);
      await waitFor('the restart action', () => {
        try {
          return readFileSync(marker, 'utf8') === 'restart';
        } catch {
          return false;
        }
      });
      assert.equal((await supervisor.hook(hookAddress, 'DELETE', uuid)).status, 200);
      assert.equal(savedUuid(stateFile), undefined);
      assert.equal(
        (await supervisor.hook(hookAddress, 'DELETE', uuid)).status,
        200,
        'a DELETE for a uuid no longer known is done, not an error the supervisor repeats',
      );
      const renewed = uuidOf(await backend.apply(change('update', notify), signal));
      assert.notEqual(renewed, uuid);
      await backend.close();
    }));
});
