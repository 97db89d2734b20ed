// Nobody on the network acts through the balena hooks: the hook server listens on loopback when
// the supervisor is there, answers only the supervisor's address and `hookAllowFrom`, and what an
// update hook carries reaches the action only as bounded, prefixed environment variables.
// A second loopback address (127.0.0.2, 127.0.0.3) stands in for a machine on the LAN.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { ApplyResult, Backend, Change } from '../../engine/backends/backend.js';
import { balenaSupervisorBackend } from '../../engine/backends/balena/balena-supervisor.js';
import { createLogger } from '../../engine/core/log.js';
import { waitFor } from '../daemon/engine-process.js';
import { startFakeSupervisor, type FakeSupervisor } from '../fakes/fake-balena-supervisor.js';
import { configIssues } from './notify-options.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'balena-hook-security-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const signal = new AbortController().signal;

/** A backend with its hook server started; `host` and `port` are where it listens. */
async function balena(supervisor: FakeSupervisor, config: Record<string, unknown>) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const stateDir = path.join(scratch, String(counter++));
  const backend: Backend = balenaSupervisorBackend.create!(
    { address: supervisor.url, apiKey: supervisor.apiKey, requestTimeoutMs: 1000, ...config },
    { name: 'balena', log, stateDir },
  );
  await backend.start?.();
  const listening = lines.find((line) => line.msg === 'balena hook server listening')!;
  return { backend, lines, host: String(listening.host), port: Number(listening.port) };
}

const change = (notify: Record<string, unknown> = {}): Change => ({
  op: 'create',
  identifier: 'zwave:1',
  payload: { identifier: 'zwave:1', name: 'Z-Wave stick' },
  notify: { backend: 'balena', appId: 13015, ...notify },
  facts: { serial: { path: '/dev/ttyACM0' } },
  profile: 'zwave-stick',
});

const uuidOf = (result: ApplyResult) => (result as unknown as { remote: { uuid: string } }).remote.uuid;

/** A hook request to `to:port` sent from the local address `from`: the status, or the socket error code. */
function hookFrom(
  from: string,
  to: string,
  port: number,
  uuid: string,
  body: unknown = { commit: 'c1' },
): Promise<number | string> {
  return new Promise((resolve) => {
    const text = JSON.stringify(body);
    const request = http.request(
      {
        host: to,
        port,
        localAddress: from,
        method: 'PUT',
        path: `/v1/devices/${uuid}`,
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    request.end(text);
  });
}

async function withSupervisor(body: (supervisor: FakeSupervisor) => Promise<void>): Promise<void> {
  const supervisor = await startFakeSupervisor();
  try {
    await body(supervisor);
  } finally {
    await supervisor.close();
  }
}

const refusals = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => String(line.msg).startsWith('balena hook refused'));

describe('balena hooks: who may call them', () => {
  test('with the default wildcard host and a supervisor on loopback, the hooks listen on loopback only', () =>
    withSupervisor(async (supervisor) => {
      assert.match(supervisor.url, /^http:\/\/127\.0\.0\.1:/);
      const { backend, host, port } = await balena(supervisor, { hookAddress: 'http://0.0.0.0:0/v1/devices/' });
      assert.equal(host, '127.0.0.1');
      const uuid = uuidOf(await backend.apply(change(), signal));
      // Another address of the machine (the LAN's stand-in) finds nothing listening.
      assert.equal(await hookFrom('127.0.0.2', '127.0.0.2', port, uuid), 'ECONNREFUSED');
      assert.equal(await hookFrom('127.0.0.1', '127.0.0.1', port, uuid), 200);
      await backend.close();
    }));

  test('a caller that is not the supervisor gets 403, and one log line for many refusals', () =>
    withSupervisor(async (supervisor) => {
      const { backend, lines, port } = await balena(supervisor, { hookAddress: 'http://127.0.0.1:0/v1/devices/' });
      const uuid = uuidOf(await backend.apply(change(), signal));
      for (let attempt = 0; attempt < 5; attempt++)
        assert.equal(await hookFrom('127.0.0.2', '127.0.0.1', port, uuid), 403);
      assert.equal(refusals(lines).length, 1);
      assert.equal(refusals(lines)[0]!.from, '127.0.0.2');
      // The supervisor is still served, and the refused requests changed nothing.
      assert.equal(await hookFrom('127.0.0.1', '127.0.0.1', port, uuid), 200);
      await backend.close();
    }));

  test('hookAllowFrom admits the listed addresses and blocks, and no others', () =>
    withSupervisor(async (supervisor) => {
      const { backend, host, port } = await balena(supervisor, {
        hookAddress: 'http://0.0.0.0:0/v1/devices/',
        hookAllowFrom: ['127.0.0.2', '127.0.4.0/24'],
      });
      assert.equal(host, '127.0.0.1', 'loopback entries alone keep the hooks on loopback');
      const uuid = uuidOf(await backend.apply(change(), signal));
      assert.equal(await hookFrom('127.0.0.2', '127.0.0.1', port, uuid), 200);
      assert.equal(await hookFrom('127.0.4.9', '127.0.0.1', port, uuid), 200);
      assert.equal(await hookFrom('127.0.0.3', '127.0.0.1', port, uuid), 403);
      await backend.close();
    }));

  test('an allow-list beyond loopback keeps the wildcard host: reachable on every address, still refused to others', () =>
    withSupervisor(async (supervisor) => {
      const { backend, host, port } = await balena(supervisor, {
        hookAddress: 'http://0.0.0.0:0/v1/devices/',
        hookAllowFrom: ['172.17.0.0/16'],
      });
      assert.equal(host, '0.0.0.0');
      const uuid = uuidOf(await backend.apply(change(), signal));
      assert.equal(await hookFrom('127.0.0.2', '127.0.0.2', port, uuid), 403);
      assert.equal(await hookFrom('127.0.0.1', '127.0.0.2', port, uuid), 200);
      await backend.close();
    }));

  test('hookAllowFrom entries are addresses or CIDR blocks', () => {
    assert.deepEqual(
      configIssues('    type: balena-supervisor\n    hookAllowFrom: [172.17.0.0/16, "::1", 10.0.0.7]\n'),
      [],
    );
    assert.deepEqual(configIssues('    type: balena-supervisor\n    hookAllowFrom: [lan]\n'), [
      { code: 'invalid-value', line: 4, col: 21 },
    ]);
  });
});

describe('balena hooks: what they carry is data', () => {
  test('the target reaches the update action only as prefixed variables; names, values, counts and commits are bounded', () =>
    withSupervisor(async (supervisor) => {
      const marker = path.join(scratch, `env-${counter}.json`);
      const script = path.join(scratch, `env-${counter}.mjs`);
      writeFileSync(
        script,
        `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('BALENA_')))));\n`,
      );
      const { backend, port } = await balena(supervisor, { hookAddress: 'http://127.0.0.1:0/v1/devices/' });
      const uuid = uuidOf(
        await backend.apply(change({ onUpdate: { argv: [process.execPath, script], timeoutMs: 5000 } }), signal),
      );
      const refused = [
        { commit: '$(reboot)' },
        { commit: 'c'.repeat(129) },
        { commit: 'c2', environment: { 'BAD-NAME': '1' } },
        { commit: 'c2', environment: { PATH: { nested: true } } },
        { commit: 'c2', config: { LONG: 'x'.repeat(4097) } },
        { commit: 'c2', environment: Object.fromEntries(Array.from({ length: 65 }, (_, index) => [`V${index}`, '1'])) },
      ];
      for (const body of refused)
        assert.equal(
          await hookFrom('127.0.0.1', '127.0.0.1', port, uuid, body),
          400,
          JSON.stringify(body).slice(0, 80),
        );
      assert.equal(
        await hookFrom('127.0.0.1', '127.0.0.1', port, uuid, {
          commit: 'd43bea5e',
          environment: { MODE: 'fast', PATH: '/evil' },
          config: { RESIN_SUPERVISOR_DELTA: 1 },
        }),
        202,
      );
      await waitFor('the update action to run', () => {
        try {
          return 'BALENA_APP_COMMIT' in (JSON.parse(readFileSync(marker, 'utf8')) as object);
        } catch {
          return false;
        }
      });
      const seen = JSON.parse(readFileSync(marker, 'utf8')) as Record<string, string>;
      assert.equal(seen.BALENA_APP_COMMIT, 'd43bea5e');
      assert.equal(seen.BALENA_ENV_MODE, 'fast');
      assert.equal(seen.BALENA_ENV_PATH, '/evil');
      assert.equal(seen.BALENA_CONFIG_RESIN_SUPERVISOR_DELTA, '1');
      assert.equal(seen.BALENA_DEVICE_ENVIRONMENT, '{"MODE":"fast","PATH":"/evil"}');
      assert.equal(seen.BALENA_DEVICE_UUID, uuid);
      await backend.close();
    }));
});
