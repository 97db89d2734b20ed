// The daemon with the balena-supervisor backend end to end: real engine processes, a fake
// supervisor on loopback that calls the engine's hook server back, device "nodes" as files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startFakeSupervisor, type FakeSupervisor } from '../fakes/fake-balena-supervisor.js';
import { startEngine, waitFor, workspace, type EngineProcess, type Workspace } from './engine-process.js';

const plug = (space: Workspace, name: string) => writeFileSync(path.join(space.dev, name), '');
const unplug = (space: Workspace, name: string) => unlinkSync(path.join(space.dev, name));
const posts = (supervisor: FakeSupervisor) =>
  supervisor.requests.filter(
    (request) => request.method === 'POST' && request.path === '/v1/devices' && request.status === 201,
  );

function profile(space: Workspace, onUpdate?: string, appId = 13015): string {
  return `name: zwave-stick
detect:
  file: { path: "${space.dev}/ttyACM*" }
map:
  identifier: { cat: ["zwave:", { var: "file.name" }] }
  name: Z-Wave stick
notify:
  - backend: balena
    appId: ${appId}
${onUpdate ? `    onUpdate: { argv: [${JSON.stringify(process.execPath)}, ${JSON.stringify(onUpdate)}], timeoutMs: 5000 }\n` : ''}`;
}

function writeBalenaConfig(space: Workspace, supervisor: FakeSupervisor): void {
  writeFileSync(
    space.config,
    `delivery: { retryBaseMs: 50, retryCapMs: 400 }
backends:
  balena:
    type: balena-supervisor
    address: "${supervisor.url}"
    apiKey: "\${BALENA_SUPERVISOR_API_KEY}"
    apiKeyIn: query
    hookAddress: "http://127.0.0.1:0/v1/devices/"
    requestTimeoutMs: 1000
`,
  );
}

/** The engine's hook address, from its log. */
function hookAddressOf(engine: EngineProcess): string {
  const line = engine.logs.find((entry) => entry.msg === 'balena hook server listening');
  assert.ok(line, 'the hook server listens');
  return `http://127.0.0.1:${String(line.port)}/v1/devices/`;
}

async function withBalena(
  body: (space: Workspace, supervisor: FakeSupervisor, start: () => Promise<EngineProcess>) => Promise<void>,
  onUpdate?: string,
  supervisorOptions: Parameters<typeof startFakeSupervisor>[0] = {},
): Promise<void> {
  const space = workspace();
  // Hooks as the supervisor sends them, with its 30 s throttle shortened for the test.
  const supervisor = await startFakeSupervisor({ hookIntervalMs: 200, ...supervisorOptions });
  writeFileSync(path.join(space.profiles, 'zwave.yaml'), profile(space, onUpdate));
  writeBalenaConfig(space, supervisor);
  const engines: EngineProcess[] = [];
  const start = async () => {
    const engine = await startEngine(space, [], { ...process.env, BALENA_SUPERVISOR_API_KEY: supervisor.apiKey });
    engines.push(engine);
    return engine;
  };
  try {
    await body(space, supervisor, start);
  } finally {
    for (const engine of engines) await engine.stop();
    await supervisor.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

/** Every file under a folder, as text. */
function filesUnder(folder: string): string {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(path.join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}

describe('daemon with the balena-supervisor backend', () => {
  test('plug: provisioned then online; unplug: offline; replug and restart: same uuid, never provisioned twice', () =>
    withBalena(async (space, supervisor, start) => {
      const engine = await start();
      supervisor.failNext(2, 503);
      plug(space, 'ttyACM0');
      await waitFor('the device online', () =>
        [...supervisor.devices.values()].some((device) => device.is_online === true),
      );
      const [device] = [...supervisor.devices.values()];
      assert.equal(posts(supervisor).length, 1);
      assert.deepEqual([device!.appId, device!.status], [13015, 'Idle']);
      const saved = JSON.parse(readFileSync(path.join(space.state, 'balena-balena.json'), 'utf8')) as {
        devices: Record<string, { uuid: string }>;
      };
      assert.equal(saved.devices['zwave:ttyACM0']!.uuid, device!.uuid);
      unplug(space, 'ttyACM0');
      await waitFor('the device offline', () => device!.is_online === false);
      assert.equal(device!.status, 'Offline');
      plug(space, 'ttyACM0');
      await waitFor('the device online again', () => device!.is_online === true);
      type Devices = { deliveries: { state: string }[] }[];
      await waitFor(
        'the acknowledgement',
        async () => ((await engine.get('/devices')).body as Devices)[0]?.deliveries[0]?.state === 'acknowledged',
      );
      assert.equal(await engine.stop(), 0);
      const before = supervisor.requests.length;
      await start();
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.deepEqual(supervisor.requests.slice(before), [], 'an acknowledged, present device is not sent again');
      assert.equal(posts(supervisor).length, 1, 'provisioned once across replug and restart');
      assert.deepEqual(
        device!.logs.map((line) => line.message),
        ['added: zwave:ttyACM0', 'removed: zwave:ttyACM0', 'added: zwave:ttyACM0'],
      );
    }));

  test('deleted in the cloud (410) while unplugged: provisioned again when it comes back', () =>
    withBalena(async (space, supervisor, start) => {
      await start();
      plug(space, 'ttyACM0');
      await waitFor(
        'provisioned',
        () => posts(supervisor).length === 1 && [...supervisor.devices.values()][0]!.is_online === true,
      );
      const [old] = [...supervisor.devices.values()];
      unplug(space, 'ttyACM0');
      await waitFor('offline', () => old!.is_online === false);
      supervisor.markDeleted(old!.uuid);
      plug(space, 'ttyACM0');
      await waitFor('a new device online', () =>
        [...supervisor.devices.values()].some((device) => device.uuid !== old!.uuid && device.is_online === true),
      );
      assert.ok(
        supervisor.requests.some(
          (request) =>
            request.method === 'PUT' && request.path === `/v1/devices/${old!.uuid}` && request.status === 410,
        ),
      );
      assert.equal(posts(supervisor).length, 2);
    }));

  test('update hook through the engine: 202 while the action runs, the commit reported, then 200; the key is nowhere', () => {
    const scripts = workspace();
    const script = path.join(scripts.root, 'update.mjs');
    writeFileSync(
      script,
      'await new Promise((resolve) => setTimeout(resolve, 200));\nconsole.log("flashed", process.env.BALENA_APP_COMMIT);\n',
    );
    after(() => rmSync(scripts.root, { recursive: true, force: true }));
    return withBalena(async (space, supervisor, start) => {
      const engine = await start();
      plug(space, 'ttyACM0');
      await waitFor('online', () => [...supervisor.devices.values()].some((device) => device.is_online === true));
      const [device] = [...supervisor.devices.values()];
      const hookAddress = hookAddressOf(engine);
      const target = { appId: 13015, commit: 'd43bea5e16658e653088ce4b9a91b6606c3c2a0d', environment: {}, config: {} };
      assert.equal((await supervisor.hook(hookAddress, 'PUT', device!.uuid, { body: target })).status, 202);
      await waitFor('the commit reported', () => device!.commit === target.commit);
      await waitFor(
        '200 once current',
        async () => (await supervisor.hook(hookAddress, 'PUT', device!.uuid, { body: target })).status === 200,
      );
      assert.ok(engine.logs.some((line) => line.msg === 'program output' && line.line === `flashed ${target.commit}`));
      assert.equal((await supervisor.hook(hookAddress, 'PUT', 'deadbeef', { body: target })).status, 404);
      assert.equal((await supervisor.hook(hookAddress, 'PUT', device!.uuid, { rawBody: 'not json' })).status, 400);
      assert.ok(
        supervisor.requests.some((request) => request.keyIn === 'query'),
        'the key went in the query string',
      );
      const shown = await Promise.all(
        ['/', '/devices', '/profiles', '/metrics'].map(async (pathname) => (await engine.get(pathname)).text),
      );
      const everything = [JSON.stringify(engine.logs), engine.stdout(), ...shown, filesUnder(space.state)].join('\n');
      assert.ok(!everything.includes(supervisor.apiKey), 'the API key is in no log line, status page or state file');
      assert.equal((await engine.get('/healthz')).status, 200, 'still running after what the network sent');
    }, script);
  });

  test('log lines reach the dashboard: isSystem, millisecond timestamps', () =>
    withBalena(async (space, supervisor, start) => {
      const before = Date.now();
      await start();
      plug(space, 'ttyACM0');
      await waitFor('the log line', () =>
        [...supervisor.devices.values()].some((device) => device.logs.length + device.droppedLogs.length > 0),
      );
      const [device] = [...supervisor.devices.values()];
      assert.deepEqual(device!.droppedLogs, [], 'a line without isSystem or serviceId is dropped by the supervisor');
      assert.equal(device!.logs[0]!.message, 'added: zwave:ttyACM0');
      assert.ok(device!.logs[0]!.timestamp! >= before, `timestamp ${device!.logs[0]!.timestamp} is in milliseconds`);
    }));

  test('an appId the cloud does not know: 503, retried, and the reason on /devices says to check the appId', () =>
    withBalena(async (space, supervisor, start) => {
      writeFileSync(path.join(space.profiles, 'zwave.yaml'), profile(space, undefined, 424242));
      const engine = await start();
      plug(space, 'ttyACM0');
      type Devices = { source: string; deliveries: { state: string; lastError?: string }[] }[];
      await waitFor('the retry on /devices', async () =>
        ((await engine.get('/devices')).body as Devices).some((device) => device.deliveries[0]?.state === 'retrying'),
      );
      const [device] = ((await engine.get('/devices')).body as Devices).filter((entry) => entry.source === 'file');
      assert.match(
        device!.deliveries[0]!.lastError ?? '',
        /HTTP 503.*appId the cloud does not know: check appId 424242/,
      );
      supervisor.apps.add(424242);
      await waitFor('provisioned once the application exists', () =>
        [...supervisor.devices.values()].some((entry) => entry.appId === 424242 && entry.is_online === true),
      );
    }));

  test('a current supervisor (v14.8.0+, no dependent-device API): /devices says which supervisors have it and what to use instead', () =>
    withBalena(
      async (space, supervisor, start) => {
        const engine = await start();
        plug(space, 'ttyACM0');
        type Devices = { source: string; deliveries: { lastError?: string }[] }[];
        const own = async () =>
          ((await engine.get('/devices')).body as Devices).filter((device) => device.source === 'file');
        await waitFor('the reason on /devices', async () =>
          /no dependent-device API/.test((await own())[0]?.deliveries[0]?.lastError ?? ''),
        );
        const reason = (await own())[0]!.deliveries[0]!.lastError!;
        assert.match(reason, /^provisioning: HTTP 404: this supervisor has no dependent-device API/);
        assert.match(reason, /supervisors 2\.5 to 14\.7 have it, v14\.8\.0 \(February 2023\) removed it/);
        assert.match(reason, /link backend.*exec.*http backend/);
        unplug(space, 'ttyACM0');
        await waitFor('the device gone from /devices', async () => (await own()).length === 0);
        assert.equal(supervisor.devices.size, 0);
        const sent = new Set(
          supervisor.requests.map((request) => `${request.method} ${request.path} ${request.status}`),
        );
        assert.deepEqual([...sent], ['POST /v1/devices 404'], 'nothing but provisioning attempts, none provisioned');
      },
      undefined,
      { dependentDeviceApi: false },
    ));

  test('a profile that moves the device to another appId reports the old device offline', () =>
    withBalena(async (space, supervisor, start) => {
      supervisor.apps.add(2);
      await start();
      plug(space, 'ttyACM0');
      await waitFor('online in 13015', () =>
        [...supervisor.devices.values()].some((device) => device.appId === 13015 && device.is_online === true),
      );
      const [old] = [...supervisor.devices.values()];
      writeFileSync(path.join(space.profiles, 'zwave.yaml'), profile(space, undefined, 2));
      await waitFor('online in 2', () =>
        [...supervisor.devices.values()].some((device) => device.appId === 2 && device.is_online === true),
      );
      assert.deepEqual([old!.is_online, old!.status], [false, 'Offline']);
      assert.equal(posts(supervisor).length, 2);
    }));

  test('a DELETE hook for a uuid the engine forgot is answered 200: the supervisor stops sending it, and 410 becomes 404', () =>
    withBalena(async (space, supervisor, start) => {
      const engine = await start();
      plug(space, 'ttyACM0');
      await waitFor('online', () => [...supervisor.devices.values()].some((device) => device.is_online === true));
      const [old] = [...supervisor.devices.values()];
      unplug(space, 'ttyACM0');
      await waitFor('offline', () => old!.is_online === false);
      // Deleted in the cloud while the hook address is not known yet: the engine meets the 410
      // first, forgets the uuid and provisions a new device.
      supervisor.markDeleted(old!.uuid);
      plug(space, 'ttyACM0');
      await waitFor('a new device online', () =>
        [...supervisor.devices.values()].some((device) => device.uuid !== old!.uuid && device.is_online === true),
      );
      supervisor.hookAddress = hookAddressOf(engine);
      await waitFor('the old device gone from the supervisor', () => !supervisor.devices.has(old!.uuid));
      assert.deepEqual(
        supervisor.hooks.map((hook) => [hook.method, hook.uuid, hook.status]),
        [['DELETE', old!.uuid, 200]],
      );
    }));

  test('the supervisor deletes a device the engine knows, and repeats an update hook no more than every hookIntervalMs until the commit is reported', () => {
    const scripts = workspace();
    const script = path.join(scripts.root, 'update.mjs');
    writeFileSync(script, 'await new Promise((resolve) => setTimeout(resolve, 500));\n');
    after(() => rmSync(scripts.root, { recursive: true, force: true }));
    return withBalena(async (space, supervisor, start) => {
      const engine = await start();
      supervisor.hookAddress = hookAddressOf(engine);
      plug(space, 'ttyACM0');
      plug(space, 'ttyACM1');
      await waitFor(
        'both online',
        () => [...supervisor.devices.values()].filter((device) => device.is_online === true).length === 2,
      );
      const [first, second] = [...supervisor.devices.values()];
      supervisor.setTarget(first!.uuid, { commit: 'c0ffee' });
      await waitFor('the commit reported', () => first!.commit === 'c0ffee');
      const updates = supervisor.hooks.filter((hook) => hook.uuid === first!.uuid);
      assert.equal(updates[0]!.status, 202);
      assert.equal((updates[0]!.body as { appId: unknown }).appId, '13015', 'the hook carries appId as a string');
      for (let index = 1; index < updates.length; index++)
        assert.ok(updates[index]!.at - updates[index - 1]!.at >= 200, 'throttled per device');
      supervisor.markDeleted(second!.uuid);
      await waitFor('the deleted device gone (404 after the DELETE hook)', () => !supervisor.devices.has(second!.uuid));
      assert.equal(supervisor.hooks.filter((hook) => hook.uuid === second!.uuid && hook.method === 'DELETE').length, 1);
      assert.equal(
        JSON.parse(readFileSync(path.join(space.state, 'balena-balena.json'), 'utf8')).devices['zwave:ttyACM1'],
        undefined,
        'forgotten by the engine',
      );
    }, script);
  });
});
