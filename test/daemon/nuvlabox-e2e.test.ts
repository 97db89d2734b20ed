// The daemon end to end: real engine processes, a real fake NuvlaBox agent on loopback, device
// "nodes" as files in a real folder.
import assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { deviceProfile, startEngine, waitFor, workspace, writeConfig, type Workspace } from './engine-process.js';

const plug = (space: Workspace, name: string) => writeFileSync(path.join(space.dev, name), '');
const unplug = (space: Workspace, name: string) => unlinkSync(path.join(space.dev, name));
const held = (agent: FakeAgent) => [...agent.peripherals.keys()].sort();
const requestsOf = (agent: FakeAgent, method: string) => agent.requests.filter((request) => request.method === method && request.path.startsWith('/api/peripheral'));

function setUp() {
  const space = workspace();
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
  return space;
}

describe('daemon with the nuvlabox-agent backend', () => {
  test('a device appears: POST with the mapped document; it goes: DELETE', async () => {
    const space = setUp();
    const agent = await startFakeAgent();
    writeConfig(space, agent.url);
    const engine = await startEngine(space);
    try {
      plug(space, 'sensor1');
      await waitFor('the registration', () => agent.peripherals.has('test-device:sensor1'));
      const { parent: _parent, version: _version, ...document } = agent.peripherals.get('test-device:sensor1')!;
      assert.deepEqual(document, {
        identifier: 'test-device:sensor1',
        name: 'Test sensor sensor1',
        available: true,
        classes: ['sensor'],
        interface: 'USB',
        'device-path': path.join(space.dev, 'sensor1'),
        description: 'at site test-lab',
      });
      assert.equal(requestsOf(agent, 'POST').length, 1);
      unplug(space, 'sensor1');
      await waitFor('the deregistration', () => !agent.peripherals.has('test-device:sensor1'));
      assert.deepEqual(requestsOf(agent, 'DELETE').map((request) => request.path), ['/api/peripheral/test-device%3Asensor1']);
      const devices = await engine.get('/devices');
      assert.deepEqual(devices.body, []);
    } finally {
      await engine.stop();
      await agent.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  });

  test('restarted with the device still present: nothing registered twice, nothing deregistered', async () => {
    const space = setUp();
    const agent = await startFakeAgent();
    writeConfig(space, agent.url);
    plug(space, 'sensor1');
    let engine = await startEngine(space);
    await waitFor('the registration', () => agent.peripherals.has('test-device:sensor1'));
    assert.equal(await engine.stop(), 0);
    const before = agent.requests.length;
    engine = await startEngine(space);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = agent.requests.slice(before).filter((request) => request.path.startsWith('/api/peripheral'));
      assert.deepEqual(after, [], 'an acknowledged, unchanged registration is not sent again');
      assert.deepEqual(held(agent), ['test-device:sensor1']);
    } finally {
      await engine.stop();
      await agent.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  });

  test('devices that went away while the engine was stopped are deregistered at start-up; others are never touched', async () => {
    const space = setUp();
    const agent = await startFakeAgent({ initial: { 'someone-else:1': { identifier: 'someone-else:1', available: true, classes: ['x'] } } });
    writeConfig(space, agent.url);
    plug(space, 'sensor1');
    plug(space, 'sensor2');
    let engine = await startEngine(space);
    await waitFor('both registrations', () => held(agent).length === 3);
    await engine.stop();
    unplug(space, 'sensor2');
    engine = await startEngine(space);
    try {
      await waitFor('sensor2 to be deregistered', () => !agent.peripherals.has('test-device:sensor2'));
      assert.deepEqual(held(agent), ['someone-else:1', 'test-device:sensor1']);
    } finally {
      await engine.stop();
      await agent.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  });

  test('agent down while devices come and go, then up: converges to exactly the present set', async () => {
    const space = setUp();
    const agent = await startFakeAgent();
    writeConfig(space, agent.url);
    plug(space, 'sensor1');
    const engine = await startEngine(space);
    try {
      await waitFor('sensor1', () => agent.peripherals.has('test-device:sensor1'));
      agent.down = true;
      plug(space, 'sensor2');
      plug(space, 'sensor3');
      unplug(space, 'sensor1');
      plug(space, 'sensor4');
      unplug(space, 'sensor3');
      await waitFor('failed attempts while down', () => agent.requests.filter((request) => request.status === 0).length >= 3);
      const status = (await engine.get('/')).body as { deliveries: Record<string, number> };
      assert.ok((status.deliveries.retrying ?? 0) + (status.deliveries.removing ?? 0) > 0, JSON.stringify(status.deliveries));
      agent.down = false;
      await waitFor('convergence', () => held(agent).join() === 'test-device:sensor2,test-device:sensor4');
      // sensor3 came and went while the agent was down: it never needed to reach the agent.
      assert.ok(!agent.requests.some((request) => request.status !== 0 && request.path.includes('sensor3')));
    } finally {
      await engine.stop();
      await agent.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  });

  test('500s and slow answers are retried; nothing is lost', async () => {
    const space = setUp();
    const agent = await startFakeAgent();
    writeConfig(space, agent.url);
    const engine = await startEngine(space);
    try {
      agent.failNext(4, 500);
      agent.delayMs = 150;
      for (const name of ['sensor1', 'sensor2', 'sensor3']) plug(space, name);
      await waitFor('all three', () => held(agent).length === 3);
      assert.ok(agent.requests.filter((request) => request.status === 500).length === 4);
      agent.delayMs = 0;
      const devices = (await engine.get('/devices')).body as { deliveries: { state: string }[] }[];
      await waitFor('acknowledgements', async () => ((await engine.get('/devices')).body as typeof devices).every((device) => device.deliveries.every((delivery) => delivery.state === 'acknowledged')));
    } finally {
      await engine.stop();
      await agent.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  });

  test('a document the agent rejects is a permanent failure, shown on /devices, not retried', async () => {
    const space = setUp();
    writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space).replace('  classes: [sensor]\n', '  classes: [sensor]\n  port: 70000\n'));
    const agent = await startFakeAgent();
    writeConfig(space, agent.url);
    const engine = await startEngine(space);
    try {
      plug(space, 'sensor1');
      await waitFor('the device', async () => ((await engine.get('/devices')).body as unknown[]).length === 1);
      const [device] = (await engine.get('/devices')).body as { problems: string[]; deliveries: unknown[] }[];
      assert.match(device!.problems.join(), /map field `port` must be <= 65535/);
      assert.deepEqual(device!.deliveries, []);
      assert.equal(requestsOf(agent, 'POST').length, 0);
    } finally {
      await engine.stop();
      await agent.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  });
});
