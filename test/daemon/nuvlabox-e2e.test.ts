// The daemon end to end: real engine processes, a real fake NuvlaBox agent on loopback, device
// "nodes" as files in a real folder.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { CLI, ROOT } from '../paths.js';
import {
  deviceProfile,
  startEngine,
  waitFor,
  workspace,
  writeConfig,
  type EngineProcess,
  type Workspace,
} from './engine-process.js';

/** The devices of the test's own folder: the machine's serial ports (ttyS0...) are listed too. */
const ownDevices = (body: unknown) => (body as { source: string }[]).filter((device) => device.source === 'file');

const plug = (space: Workspace, name: string) => writeFileSync(path.join(space.dev, name), '');
const unplug = (space: Workspace, name: string) => unlinkSync(path.join(space.dev, name));
const held = (agent: FakeAgent) => [...agent.peripherals.keys()].sort();
/** The requests under /api/peripheral, of `method` only unless it is empty. */
const requestsOf = (agent: FakeAgent, method: string) =>
  agent.requests.filter(
    (request) => (method === '' || request.method === method) && request.path.startsWith('/api/peripheral'),
  );
type AckedDevice = { deliveries: { state: string }[] };

function setUp() {
  const space = workspace();
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
  return space;
}

/** Runs `body` with a workspace, a fake agent and the engine's config, and cleans all up. */
async function withAgent(
  body: (space: Workspace, agent: FakeAgent) => Promise<void>,
  options: Parameters<typeof startFakeAgent>[0] = {},
): Promise<void> {
  const space = setUp();
  const agent = await startFakeAgent(options);
  writeConfig(space, agent.url);
  try {
    await body(space, agent);
  } finally {
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

/** Starts the engine on the workspace, runs `body`, and stops the engine whatever happens. */
async function withEngine(space: Workspace, body: (engine: EngineProcess) => Promise<void>): Promise<void> {
  const engine = await startEngine(space);
  try {
    await body(engine);
  } finally {
    await engine.stop();
  }
}

describe('daemon with the nuvlabox-agent backend', () => {
  test('a device appears: POST with the mapped document; it goes: DELETE', () =>
    withAgent((space, agent) =>
      withEngine(space, async (engine) => {
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
        assert.deepEqual(
          requestsOf(agent, 'DELETE').map((request) => request.path),
          ['/api/peripheral/test-device%3Asensor1'],
        );
        // /devices may answer from a snapshot up to 100 ms old.
        await waitFor('/devices to be empty', async () => ownDevices((await engine.get('/devices')).body).length === 0);
      }),
    ));

  test('restarted with the device still present: nothing registered twice, nothing deregistered', () =>
    withAgent(async (space, agent) => {
      plug(space, 'sensor1');
      const first = await startEngine(space);
      await waitFor('the registration', () => agent.peripherals.has('test-device:sensor1'));
      assert.equal(await first.stop(), 0);
      const before = agent.requests.length;
      await withEngine(space, async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const after = agent.requests.slice(before).filter((request) => request.path.startsWith('/api/peripheral'));
        assert.deepEqual(after, [], 'an acknowledged, unchanged registration is not sent again');
        assert.deepEqual(held(agent), ['test-device:sensor1']);
      });
    }));

  test('devices that went away while the engine was stopped are deregistered at start-up; others are never touched', () =>
    withAgent(
      async (space, agent) => {
        plug(space, 'sensor1');
        plug(space, 'sensor2');
        await withEngine(space, () => waitFor('both registrations', () => held(agent).length === 3));
        unplug(space, 'sensor2');
        await withEngine(space, async () => {
          await waitFor('sensor2 to be deregistered', () => !agent.peripherals.has('test-device:sensor2'));
          assert.deepEqual(held(agent), ['someone-else:1', 'test-device:sensor1']);
        });
      },
      { initial: { 'someone-else:1': { identifier: 'someone-else:1', available: true, classes: ['x'] } } },
    ));

  test('agent down while devices come and go, then up: converges to exactly the present set', () =>
    withAgent(async (space, agent) => {
      plug(space, 'sensor1');
      await withEngine(space, async (engine) => {
        await waitFor('sensor1', () => agent.peripherals.has('test-device:sensor1'));
        agent.down = true;
        plug(space, 'sensor2');
        plug(space, 'sensor3');
        unplug(space, 'sensor1');
        plug(space, 'sensor4');
        unplug(space, 'sensor3');
        await waitFor(
          'failed attempts while down',
          () => agent.requests.filter((request) => request.status === 0).length >= 3,
        );
        const status = (await engine.get('/')).body as { deliveries: Record<string, number> };
        assert.ok(
          (status.deliveries.retrying ?? 0) + (status.deliveries.removing ?? 0) > 0,
          JSON.stringify(status.deliveries),
        );
        agent.down = false;
        await waitFor('convergence', () => held(agent).join() === 'test-device:sensor2,test-device:sensor4');
        // sensor3 came and went while the agent was down: nothing of it may stay. When the engine
        // tried it while down (the fake cuts the connection after accepting it, so the POST may
        // have landed for all the engine knows), the only request that gets through is the
        // DELETE that cleans up after that attempt.
        const sensor3 = agent.requests.filter(
          (request) =>
            request.status !== 0 &&
            (request.path.includes('sensor3') || JSON.stringify(request.body ?? '').includes('sensor3')),
        );
        assert.deepEqual(
          [...new Set(sensor3.map((request) => request.method))].filter((method) => method !== 'DELETE'),
          [],
        );
      });
    }));

  test('500s and slow answers are retried; nothing is lost', () =>
    withAgent((space, agent) =>
      withEngine(space, async (engine) => {
        agent.failNext(4, 500);
        agent.delayMs = 150;
        for (const name of ['sensor1', 'sensor2', 'sensor3']) plug(space, name);
        await waitFor('all three', () => held(agent).length === 3);
        assert.equal(agent.requests.filter((request) => request.status === 500).length, 4);
        agent.delayMs = 0;
        type Devices = { deliveries: { state: string }[] }[];
        await waitFor('acknowledgements', async () =>
          ((await engine.get('/devices')).body as Devices).every((device) =>
            device.deliveries.every((delivery) => delivery.state === 'acknowledged'),
          ),
        );
      }),
    ));

  test('a document the agent rejects is a permanent failure, shown on /devices, not retried', () =>
    withAgent(async (space, agent) => {
      // Computed, not a constant: a constant out of range is refused by the profile's validation.
      writeFileSync(
        path.join(space.profiles, 'sensor.yaml'),
        deviceProfile(space).replace('  classes: [sensor]\n', '  classes: [sensor]\n  port: { "+": [70000, 0] }\n'),
      );
      await withEngine(space, async (engine) => {
        plug(space, 'sensor1');
        await waitFor('the device', async () => ownDevices((await engine.get('/devices')).body).length === 1);
        const [device] = ownDevices((await engine.get('/devices')).body) as unknown as {
          problems: string[];
          deliveries: unknown[];
        }[];
        assert.match(device!.problems.join(), /map field `port` must be <= 65535/);
        assert.deepEqual(device!.deliveries, []);
        assert.equal(requestsOf(agent, 'POST').length, 0);
      });
    }));

  test('a peripheral deleted in Nuvla comes back on its next change: PUT 404, POST 400, DELETE, POST and no more', () =>
    withAgent((space, agent) =>
      withEngine(space, async () => {
        plug(space, 'sensor1');
        await waitFor('the registration', () => agent.nuvla.has('test-device:sensor1'));
        agent.deleteInNuvla('test-device:sensor1');
        const before = agent.requests.length;
        writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space, { label: 'Renamed sensor' }));
        await waitFor(
          'the peripheral back in Nuvla',
          () => agent.nuvla.get('test-device:sensor1')?.document['name'] === 'Renamed sensor sensor1',
        );
        const sent = agent.requests.slice(before).filter((request) => request.path.startsWith('/api/peripheral'));
        assert.deepEqual(
          sent.map((request) => `${request.method} ${request.status}`),
          ['PUT 404', 'POST 400', 'DELETE 200', 'POST 201'],
        );
      }),
    ));

  test('agent 2.0.0: a peripheral deleted in Nuvla comes back on its next change: PUT 500 (HTML), DELETE, POST and no more', () =>
    withAgent(
      (space, agent) =>
        withEngine(space, async () => {
          plug(space, 'sensor1');
          await waitFor('the registration', () => agent.nuvla.has('test-device:sensor1'));
          agent.deleteInNuvla('test-device:sensor1');
          const before = agent.requests.length;
          writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space, { label: 'Renamed sensor' }));
          await waitFor(
            'the peripheral back in Nuvla',
            () => agent.nuvla.get('test-device:sensor1')?.document['name'] === 'Renamed sensor sensor1',
          );
          const sent = agent.requests.slice(before).filter((request) => request.path.startsWith('/api/peripheral'));
          assert.deepEqual(
            sent.map((request) => `${request.method} ${request.status}`),
            ['PUT 500', 'DELETE 200', 'POST 201'],
          );
          assert.deepEqual([...agent.nuvla.keys()], ['test-device:sensor1']);
          assert.deepEqual(held(agent), ['test-device:sensor1']);
        }),
      { version: '2.0.0' },
    ));

  test('an older Nuvla peripheral the agent adopts loses the fields the profile does not map: nothing stale, nothing twice', () =>
    withAgent(
      (space, agent) =>
        withEngine(space, async (engine) => {
          plug(space, 'sensor1');
          const expected = {
            identifier: 'test-device:sensor1',
            name: 'Test sensor sensor1',
            available: true,
            classes: ['sensor'],
            interface: 'USB',
            'device-path': path.join(space.dev, 'sensor1'),
            description: 'at site test-lab',
          };
          await waitFor('the acknowledgement', async () =>
            ownDevices((await engine.get('/devices')).body).some(
              (device) => (device as unknown as AckedDevice).deliveries[0]?.state === 'acknowledged',
            ),
          );
          const { parent: _parent, version: _version, ...document } = agent.nuvla.get('test-device:sensor1')!.document;
          assert.deepEqual(document, expected, 'no serial-number or vendor left from the old document');
          assert.deepEqual(
            requestsOf(agent, '').map((request) => `${request.method} ${request.status}`),
            ['POST 201', 'DELETE 200', 'POST 201'],
          );
          assert.deepEqual([...agent.nuvla.keys()], ['test-device:sensor1']);
          assert.deepEqual(held(agent), ['test-device:sensor1']);
        }),
      {
        inNuvla: {
          'test-device:sensor1': {
            identifier: 'test-device:sensor1',
            name: 'Old sensor',
            available: false,
            classes: ['sensor'],
            'serial-number': 'OLD-SERIAL',
            vendor: 'Old vendor',
          },
        },
      },
    ));

  test('a device unplugged after Nuvla lost its peripheral: the agent\'s plain "Deleted <identifier>" ends it, one DELETE', () =>
    withAgent((space, agent) =>
      withEngine(space, async (engine) => {
        plug(space, 'sensor1');
        await waitFor('the registration', () => agent.nuvla.has('test-device:sensor1'));
        agent.deleteInNuvla('test-device:sensor1');
        unplug(space, 'sensor1');
        await waitFor(
          'the device gone from /devices',
          async () => ownDevices((await engine.get('/devices')).body).length === 0,
        );
        assert.deepEqual(
          requestsOf(agent, 'DELETE').map((request) => request.status),
          [200],
        );
        assert.deepEqual(held(agent), []);
        assert.deepEqual([...agent.nuvla.keys()], []);
      }),
    ));

  test('a field the profile no longer maps disappears from Nuvla: registered anew, under a new resource id', () =>
    withAgent((space, agent) =>
      withEngine(space, async () => {
        plug(space, 'sensor1');
        await waitFor('the registration', () => agent.nuvla.has('test-device:sensor1'));
        const { id } = agent.nuvla.get('test-device:sensor1')!;
        assert.equal(agent.nuvla.get('test-device:sensor1')!.document['description'], 'at site test-lab');
        writeFileSync(
          path.join(space.profiles, 'sensor.yaml'),
          deviceProfile(space).replace(/  description: .*\n/, ''),
        );
        const current = () => agent.nuvla.get('test-device:sensor1');
        await waitFor(
          'the description gone from Nuvla',
          () =>
            current() !== undefined &&
            current()!.document['description'] === undefined &&
            agent.requests.at(-1)?.status === 201,
        );
        assert.notEqual(agent.nuvla.get('test-device:sensor1')!.id, id);
        assert.deepEqual(held(agent), ['test-device:sensor1']);
      }),
    ));

  test('blank strings are left out like null, blank classes too: the peripheral is registered, not refused', () =>
    withAgent(async (space, agent) => {
      const profile = deviceProfile(space).replace(
        '  classes: [sensor]\n',
        '  classes: [sensor, " "]\n  vendor: { cat: [" ", ""] }\n  product: ""\n',
      );
      writeFileSync(path.join(space.profiles, 'sensor.yaml'), profile);
      await withEngine(space, async () => {
        plug(space, 'sensor1');
        await waitFor('the registration', () => agent.nuvla.has('test-device:sensor1'));
        const { document } = agent.nuvla.get('test-device:sensor1')!;
        assert.deepEqual(
          [document['classes'], 'vendor' in document, 'product' in document],
          [['sensor'], false, false],
        );
      });
    }));

  test('engine validate refuses a constant that Nuvla would refuse', () => {
    const space = setUp();
    try {
      const file = path.join(space.profiles, 'sensor.yaml');
      writeFileSync(
        file,
        deviceProfile(space).replace(
          '  classes: [sensor]\n',
          '  classes: [sensor]\n  additional-assets: { devices: [], libraries: [libusb] }\n  resources: [{ unit: MB, capacity: "512", load: -1 }]\n',
        ),
      );
      const result = spawnSync(process.execPath, [CLI, 'validate', file, '--format', 'json'], { encoding: 'utf8' });
      assert.equal(result.status, 1, result.stdout + result.stderr);
      const text = result.stdout;
      assert.match(text, /fewer than 1 items/);
      assert.match(text, /must be >= 0/);
    } finally {
      rmSync(space.root, { recursive: true, force: true });
    }
  });

  test("Nuvla unreachable: the agent's 500 HTML page is a retry; registered once Nuvla is back", () =>
    withAgent((space, agent) =>
      withEngine(space, async (engine) => {
        agent.nuvlaReachable = false;
        plug(space, 'sensor1');
        await waitFor('a 500', () => agent.requests.some((request) => request.status === 500));
        type Devices = { deliveries: { state: string; lastError?: string }[] }[];
        await waitFor('the retry shown', async () =>
          ownDevices((await engine.get('/devices')).body).some(
            (device) => (device as unknown as Devices[number]).deliveries[0]?.state === 'retrying',
          ),
        );
        agent.nuvlaReachable = true;
        await waitFor('the registration', () => agent.nuvla.has('test-device:sensor1'));
        assert.deepEqual(held(agent), ['test-device:sensor1']);
      }),
    ));

  test("the shipped mock profile sends exactly the document of the NuvlaBox guide's mock script", () =>
    withAgent(async (space, agent) => {
      const shipped = readFileSync(path.join(ROOT, 'profiles', 'mock-video0.yaml'), 'utf8');
      assert.match(shipped, /path: "\/dev\/video0"/);
      writeFileSync(
        path.join(space.profiles, 'sensor.yaml'),
        shipped.replace('path: "/dev/video0"', `path: "${space.dev}/video0"`),
      );
      await withEngine(space, async () => {
        plug(space, 'video0');
        await waitFor('the registration', () => requestsOf(agent, 'POST').some((request) => request.status === 201));
        assert.deepEqual(requestsOf(agent, 'POST')[0]!.body, {
          identifier: 'my-mock-peripheralXYZ',
          name: 'Mock Peripheral',
          classes: ['video'],
          available: true,
        });
      });
    }));
});
