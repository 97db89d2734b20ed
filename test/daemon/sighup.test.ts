// SIGHUP reads the profiles folder again, as daemons conventionally do, and never stops the
// engine: a change the watcher cannot see (a profile written through a hard link outside the
// folder, which inotify reports on the other folder only) is applied, the engine goes on
// answering, and the backend converges to exactly the present set.
import assert from 'node:assert/strict';
import { linkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { deviceProfile, startEngine, waitFor, workspace, writeConfig, type LogLine } from './engine-process.js';

const reloaded = (logs: LogLine[]) => logs.filter((line) => line.msg === 'profiles folder reloaded');

describe('SIGHUP', () => {
  test('reads the profiles again, applies a change the watcher did not report, and the engine goes on', async () => {
    const space = workspace();
    const agent = await startFakeAgent();
    writeConfig(space, agent.url);
    writeFileSync(path.join(space.dev, 'sensor1'), '');
    const profile = path.join(space.profiles, 'sensor.yaml');
    writeFileSync(profile, deviceProfile(space, { label: 'Original' }));
    const outside = path.join(space.root, 'sensor-elsewhere.yaml');
    linkSync(profile, outside);
    const engine = await startEngine(space);
    try {
      await waitFor(
        'the registration',
        () => agent.peripherals.get('test-device:sensor1')?.name === 'Original sensor1',
      );
      // The same file, written through its other name: no event in the profiles folder.
      writeFileSync(outside, deviceProfile(space, { label: 'Edited' }));
      process.kill(engine.pid, 'SIGHUP');
      await waitFor('the reload to be logged', () => reloaded(engine.logs).length === 1);
      assert.equal(reloaded(engine.logs)[0]!.files, 1);
      await waitFor(
        'the edit to reach the agent',
        () => agent.peripherals.get('test-device:sensor1')?.name === 'Edited sensor1',
      );
      // A second one, with nothing changed: logged, nothing sent.
      process.kill(engine.pid, 'SIGHUP');
      await waitFor('the second reload to be logged', () => reloaded(engine.logs).length === 2);
      assert.equal(reloaded(engine.logs)[1]!.changed, 0);
      assert.equal((await engine.get('/healthz')).status, 200);
      assert.deepEqual([...agent.peripherals.keys()], ['test-device:sensor1']);
      assert.equal(agent.requests.filter((request) => request.method === 'POST').length, 1, 'registered once');
      assert.equal(await engine.stop(), 0);
      assert.ok(engine.logs.some((line) => line.msg === 'engine stopped'));
    } finally {
      await engine.stop();
      await agent.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  });

  test('one that arrives during start-up does not stop the engine; the folder is read again once started', async () => {
    const space = workspace();
    const agent = await startFakeAgent();
    writeConfig(space, agent.url);
    writeFileSync(path.join(space.dev, 'sensor1'), '');
    writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
    const engine = await startEngine(space, [], undefined, (line, pid) => {
      if (line.msg === 'status server listening') process.kill(pid, 'SIGHUP');
    }).catch(async (error: unknown) => {
      await agent.close();
      throw error;
    });
    try {
      await waitFor('the reload to be logged', () => reloaded(engine.logs).length === 1);
      await waitFor('the registration', () => agent.peripherals.has('test-device:sensor1'));
      assert.equal((await engine.get('/healthz')).status, 200);
      assert.deepEqual([...agent.peripherals.keys()], ['test-device:sensor1']);
      assert.equal(await engine.stop(), 0);
    } finally {
      await engine.stop();
      await agent.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  });
});
