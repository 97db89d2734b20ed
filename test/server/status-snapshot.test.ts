import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createLogger } from '../../engine/core/log.js';
import { Answer, Snapshot, SNAPSHOT_WINDOW_MS } from '../../engine/server/status-snapshot.js';
import { startStatusServer, type StatusProvider, type StatusServer } from '../../engine/server/status-server.js';
import { waitFor } from '../daemon/engine-process.js';
import { deviceOf, profilesOf, summaryOf } from './status-fixtures.js';

/** A provider whose device list the test changes, counting how often each answer is built. */
function countingProvider() {
  const devices = [deviceOf('file:/dev/video0')];
  const builds = { summary: 0, devices: 0, profiles: 0 };
  const provider: StatusProvider = {
    summary: () => {
      builds.summary++;
      return summaryOf({ devices: { present: devices.length, matched: 0, leaving: 0 } });
    },
    healthy: () => true,
    devices: () => {
      builds.devices++;
      return devices.map((device) => ({ ...device }));
    },
    profiles: () => {
      builds.profiles++;
      return profilesOf();
    },
    metrics: () => '',
  };
  return { provider, devices, builds };
}

async function getJson(port: number, path: string): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  assert.equal(response.status, 200);
  return response.json();
}

describe('status snapshot', () => {
  test('is built once within its window, however often it is read, and afresh after it', async () => {
    let now = 1_000;
    let source = 'first';
    let built = 0;
    const snapshot = new Snapshot(
      () => {
        built++;
        return Promise.resolve({ source });
      },
      SNAPSHOT_WINDOW_MS,
      () => now,
    );
    const first = snapshot.read();
    source = 'second';
    now += SNAPSHOT_WINDOW_MS - 1;
    for (let read = 0; read < 100; read++) assert.equal(snapshot.read(), first);
    assert.deepEqual([built, snapshot.builds, await first], [1, 1, { source: 'first' }]);
    now += 1;
    assert.deepEqual(await snapshot.read(), { source: 'second' });
    assert.equal(snapshot.builds, 2);
  });

  test('readers that come while it is being built wait for that build', async () => {
    let finish!: (value: string) => void;
    let built = 0;
    const snapshot = new Snapshot(() => {
      built++;
      return new Promise<string>((resolve) => (finish = resolve));
    });
    const readers = Array.from({ length: 20 }, () => snapshot.read());
    finish('built');
    assert.deepEqual(
      await Promise.all(readers),
      Array.from({ length: 20 }, () => 'built'),
    );
    assert.equal(built, 1);
  });

  test('a build that fails leaves the next read to build again', async () => {
    let fail = true;
    const snapshot = new Snapshot(() => (fail ? Promise.reject(new Error('not yet')) : Promise.resolve('built')));
    await assert.rejects(snapshot.read(), /not yet/);
    fail = false;
    assert.equal(await snapshot.read(), 'built');
    assert.equal(snapshot.builds, 2);
  });
});

describe('status answer', () => {
  test('its bytes, value and gzip form are made once and say the same', () => {
    const answer = new Answer<{ devices: number[] }>(Answer.text({ devices: [1, 2, 3] }));
    assert.equal(answer.json, answer.json);
    assert.equal(answer.value, answer.value);
    assert.equal(answer.gzip, answer.gzip);
    assert.deepEqual(answer.value, { devices: [1, 2, 3] });
    assert.equal(gunzipSync(answer.gzip).toString(), answer.json.toString());
    assert.equal(answer.json.toString(), '{\n  "devices": [\n    1,\n    2,\n    3\n  ]\n}\n');
  });
});

describe('status server answers from a snapshot', () => {
  const log = createLogger('error', () => undefined);
  const servers: StatusServer[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));

  test('many concurrent clients within one window cost one build', async () => {
    const { provider, builds } = countingProvider();
    // A window far longer than the test: every request falls in the first one.
    const server = await startStatusServer(provider, '127.0.0.1', 0, log, { snapshotWindowMs: 3_600_000 });
    servers.push(server);
    const { port } = server;
    const answers = await Promise.all(Array.from({ length: 50 }, () => getJson(port, '/devices')));
    for (const answer of answers) assert.deepEqual(answer, [deviceOf('file:/dev/video0')]);
    await getJson(port, '/devices');
    await getJson(port, '/');
    await getJson(port, '/');
    assert.deepEqual(builds, { summary: 1, devices: 1, profiles: 0 });
  });

  test('a change shows once the window is over', async () => {
    const { provider, devices, builds } = countingProvider();
    const server = await startStatusServer(provider, '127.0.0.1', 0, log);
    servers.push(server);
    const { port } = server;
    assert.deepEqual(await getJson(port, '/devices'), [deviceOf('file:/dev/video0')]);
    devices.push(deviceOf('file:/dev/video1'));
    await waitFor(
      'the second device on /devices',
      async () => ((await getJson(port, '/devices')) as unknown[]).length === 2,
      20_000,
    );
    assert.ok(builds.devices >= 2, String(builds.devices));
  });

  test("new connections are taken and answered while the engine's thread is blocked", async () => {
    const { provider, builds } = countingProvider();
    const server = await startStatusServer(provider, '127.0.0.1', 0, log, { snapshotWindowMs: 3_600_000 });
    servers.push(server);
    const expected = await getJson(server.port, '/devices');
    // spawnSync blocks this thread, and with it everything the engine's thread does, until the
    // child has its 50 answers (each on a connection of its own, half of them asking for gzip).
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', CLIENT, String(server.port)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(child.status, 0, `${child.error?.message ?? ''} ${child.stderr}`);
    const bodies = JSON.parse(child.stdout) as unknown[];
    assert.equal(bodies.length, 50);
    for (const body of bodies) assert.deepEqual(body, expected);
    assert.equal(builds.devices, 1);
  });
});

/** 50 GET /devices at once, each on a new connection; prints the parsed bodies as a JSON list. */
const CLIENT = `
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
const port = Number(process.argv[1]);
const get = (index) => new Promise((resolve, reject) => {
  const headers = index % 2 === 0 ? { 'accept-encoding': 'gzip' } : {};
  const outgoing = request({ host: '127.0.0.1', port, path: '/devices', agent: false, headers }, (response) => {
    const chunks = [];
    response.on('data', (chunk) => chunks.push(chunk));
    response.on('end', () => {
      const body = Buffer.concat(chunks);
      const gzipped = response.headers['content-encoding'] === 'gzip';
      if (gzipped !== (index % 2 === 0)) return reject(new Error('answered in the wrong encoding'));
      resolve(JSON.parse((gzipped ? gunzipSync(body) : body).toString()));
    });
  });
  outgoing.on('error', reject);
  outgoing.end();
});
console.log(JSON.stringify(await Promise.all(Array.from({ length: 50 }, (_, index) => get(index)))));
`;
