// An ignore rule added to the engine config between two runs: what the first run registered for
// the device is deleted by the second, and the other devices' registrations are not touched.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { deviceProfile, startEngine, waitFor, workspace, writeConfig } from './engine-process.js';

test('a device registered before an ignore rule named it is deleted once the rule is in the config', async () => {
  const agent = await startFakeAgent();
  const space = workspace();
  try {
    writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
    for (const name of ['sensor1', 'sensor2']) writeFileSync(path.join(space.dev, name), '');
    writeConfig(space, agent.url);
    const held = () => [...agent.peripherals.keys()].sort();
    let engine = await startEngine(space);
    await waitFor('both registered', () => held().length === 2);
    assert.deepEqual(held(), ['test-device:sensor1', 'test-device:sensor2']);
    assert.equal(await engine.stop(), 0);

    const before = agent.requests.length;
    writeConfig(
      space,
      agent.url,
      `ignore:\n  - name: sensor-two\n    reason: moved to another gateway\n    detect: { file: { path: "${space.dev}/sensor2" } }\n`,
    );
    engine = await startEngine(space);
    await waitFor('the ignored one deleted', () => !held().includes('test-device:sensor2'));
    const devices = (await engine.get('/devices')).body as { key: string; ignored?: { name: string } }[];
    assert.equal(devices.find((device) => device.key.endsWith('/sensor2'))?.ignored?.name, 'sensor-two');
    assert.deepEqual(held(), ['test-device:sensor1']);
    assert.deepEqual(
      agent.requests
        .slice(before)
        .filter((request) => request.path.startsWith('/api/peripheral'))
        .map((request) => `${request.method} ${request.path}`),
      ['DELETE /api/peripheral/test-device%3Asensor2'],
    );
    assert.equal(await engine.stop(), 0);
  } finally {
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
});
