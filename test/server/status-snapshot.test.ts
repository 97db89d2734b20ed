import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, describe, test } from 'node:test';
import { createLogger } from '../../engine/core/log.js';
import { Snapshot, SNAPSHOT_WINDOW_MS } from '../../engine/server/status-snapshot.js';
import { startStatusServer, type StatusProvider } from '../../engine/server/status-server.js';
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
  test('is built once within its window, however often it is read, and afresh after it', () => {
    let now = 1_000;
    let source = 'first';
    let built = 0;
    const snapshot = new Snapshot(
      () => {
        built++;
        return { source };
      },
      SNAPSHOT_WINDOW_MS,
      () => now,
    );
    const first = snapshot.read();
    source = 'second';
    now += SNAPSHOT_WINDOW_MS - 1;
    for (let read = 0; read < 100; read++) assert.equal(snapshot.read(), first);
    assert.deepEqual([built, snapshot.builds, first.value], [1, 1, { source: 'first' }]);
    now += 1;
    assert.deepEqual(snapshot.read().value, { source: 'second' });
    assert.equal(snapshot.builds, 2);
  });

  test('serialises its JSON once for every reader', () => {
    const answer = new Snapshot(() => ({ devices: [1, 2, 3] })).read();
    assert.equal(answer.json, answer.json);
    assert.deepEqual(JSON.parse(answer.json.toString()), { devices: [1, 2, 3] });
  });

  test('a build that throws leaves the next read to build again', () => {
    let fail = true;
    const snapshot = new Snapshot(() => {
      if (fail) throw new Error('not yet');
      return 'built';
    });
    assert.throws(() => snapshot.read(), /not yet/);
    fail = false;
    assert.equal(snapshot.read().value, 'built');
  });
});

describe('status server answers from a snapshot', () => {
  const log = createLogger('error', () => undefined);
  const servers: Server[] = [];
  after(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

  test('many concurrent clients within one window cost one build', async () => {
    const { provider, builds } = countingProvider();
    // A window far longer than the test: every request falls in the first one.
    const { server, port } = await startStatusServer(provider, '127.0.0.1', 0, log, { snapshotWindowMs: 3_600_000 });
    servers.push(server);
    const answers = await Promise.all(Array.from({ length: 50 }, () => getJson(port, '/devices')));
    for (const answer of answers) assert.deepEqual(answer, [deviceOf('file:/dev/video0')]);
    await getJson(port, '/devices');
    await getJson(port, '/');
    await getJson(port, '/');
    assert.deepEqual(builds, { summary: 1, devices: 1, profiles: 0 });
  });

  test('a change shows once the window is over', async () => {
    const { provider, devices, builds } = countingProvider();
    const { server, port } = await startStatusServer(provider, '127.0.0.1', 0, log);
    servers.push(server);
    assert.deepEqual(await getJson(port, '/devices'), [deviceOf('file:/dev/video0')]);
    devices.push(deviceOf('file:/dev/video1'));
    await waitFor(
      'the second device on /devices',
      async () => ((await getJson(port, '/devices')) as unknown[]).length === 2,
      20_000,
    );
    assert.ok(builds.devices >= 2, String(builds.devices));
  });
});
