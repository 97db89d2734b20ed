// The daemon publishing to the NuvlaEdge file broker, read back the way the agent reads it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { NuvlaedgeReader } from '../fakes/nuvlaedge-reader.js';
import { CLI } from '../paths.js';
import {
  deviceProfile,
  startEngine,
  waitFor,
  workspace,
  type EngineProcess,
  type Workspace,
} from './engine-process.js';

/** A workspace publishing to a NuvlaEdge root, an agent-side reader with the real agent's quirks, and the engine. */
async function withNuvlaedge(
  profile: (space: Workspace) => string,
  body: (space: Workspace, reader: NuvlaedgeReader, engine: EngineProcess) => Promise<void>,
): Promise<void> {
  const space = workspace();
  const root = path.join(space.root, 'nuvlaedge');
  mkdirSync(root);
  writeFileSync(
    space.config,
    `backends:\n  nuvlaedge: { type: nuvlaedge-files, root: "${root}", managerName: engine }\n`,
  );
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), profile(space));
  const reader = new NuvlaedgeReader({ root, managerName: 'engine', agentQuirks: true });
  const engine = await startEngine(space);
  try {
    await body(space, reader, engine);
  } finally {
    await engine.stop();
    rmSync(space.root, { recursive: true, force: true });
  }
}

test('devices come and go: the agent-side reader ends with exactly the present set, and {} at the end', async () => {
  const space = workspace();
  const root = path.join(space.root, 'nuvlaedge');
  mkdirSync(root);
  writeFileSync(
    space.config,
    `backends:\n  nuvlaedge: { type: nuvlaedge-files, root: "${root}", managerName: engine }\n`,
  );
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space, { backend: 'nuvlaedge' }));
  writeFileSync(path.join(space.dev, 'sensor1'), '');
  const reader = new NuvlaedgeReader({ root, managerName: 'engine' });
  const engine = await startEngine(space);
  const seen = async () => {
    await reader.poll();
    return Object.keys(reader.view()).sort().join();
  };
  try {
    await waitFor('sensor1 at the agent', async () => (await seen()) === 'test-device:sensor1');
    writeFileSync(path.join(space.dev, 'sensor2'), '');
    await waitFor('both', async () => (await seen()) === 'test-device:sensor1,test-device:sensor2');
    const document = reader.view()['test-device:sensor2']!;
    assert.equal(document.available, true);
    assert.deepEqual(document.classes, ['sensor']);
    unlinkSync(path.join(space.dev, 'sensor1'));
    unlinkSync(path.join(space.dev, 'sensor2'));
    // The agent only drops what is not reported; the engine reports the empty set explicitly.
    const snapshots: unknown[] = [];
    await waitFor('the empty snapshot', async () => {
      snapshots.push(...(await reader.poll()).map((snapshot) => snapshot.data));
      return snapshots.some((data) => JSON.stringify(data) === '{}');
    });
    assert.deepEqual(reader.rejected, []);
  } finally {
    await engine.stop();
    rmSync(space.root, { recursive: true, force: true });
  }
});

test('blank strings are left out: the real agent registers the device instead of rejecting it or aborting its pass', () =>
  withNuvlaedge(
    (space) =>
      deviceProfile(space, { backend: 'nuvlaedge' }).replace(
        '  classes: [sensor]\n',
        '  classes: [sensor, ""]\n  vendor: { cat: ["", ""] }\n  product: { cat: [" "] }\n',
      ),
    async (space, reader) => {
      writeFileSync(path.join(space.dev, 'sensor1'), '');
      await waitFor('sensor1 at the agent', async () => {
        await reader.poll();
        return 'test-device:sensor1' in reader.view();
      });
      assert.deepEqual(reader.rejected, []);
      const document = reader.view()['test-device:sensor1']!;
      assert.deepEqual([document.classes, 'vendor' in document, 'product' in document], [['sensor'], false, false]);
    },
  ));

test("what NuvlaEdge does not do is said: validate warns that description is dropped, /devices notes the agent's limits", () =>
  withNuvlaedge(
    (space) => deviceProfile(space, { backend: 'nuvlaedge' }),
    async (space, reader, engine) => {
      writeFileSync(path.join(space.dev, 'sensor1'), '');
      await waitFor('sensor1 at the agent', async () => {
        await reader.poll();
        return 'test-device:sensor1' in reader.view();
      });
      assert.equal('description' in reader.view()['test-device:sensor1']!, false, 'the agent drops it');
      type Device = { source: string; notes?: string[] };
      const [device] = ((await engine.get('/devices')).body as Device[]).filter((entry) => entry.source === 'file');
      const notes = (device?.notes ?? []).join('\n');
      assert.match(notes, /never reach Nuvla/);
      assert.match(notes, /120 s/);
      assert.match(notes, /another manager/);
      const validated = spawnSync(
        process.execPath,
        [CLI, 'validate', path.join(space.profiles, 'sensor.yaml'), '--config', space.config, '--format', 'json'],
        { encoding: 'utf8' },
      );
      assert.equal(validated.status, 0, validated.stdout + validated.stderr);
      assert.match(validated.stdout, /"code":\s*"ignored-field"/);
      assert.match(validated.stdout, /description/);
    },
  ));
