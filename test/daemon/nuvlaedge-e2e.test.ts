// The daemon publishing to the NuvlaEdge file broker, read back the way the agent reads it.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { NuvlaedgeReader } from '../fakes/nuvlaedge-reader.js';
import { deviceProfile, startEngine, waitFor, workspace } from './engine-process.js';

test('devices come and go: the agent-side reader ends with exactly the present set, and {} at the end', async () => {
  const space = workspace();
  const root = path.join(space.root, 'nuvlaedge');
  mkdirSync(root);
  writeFileSync(space.config, `backends:\n  nuvlaedge: { type: nuvlaedge-files, root: "${root}", managerName: engine }\n`);
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
