// The invariant under a hostile backend: whatever the server does (hang, trickle, answer HTML,
// JSON cut short, 100 MB, Retry-After: 0, a connection dropped mid-answer, 500s for a while, an
// identifier someone else registered), the real engine process stays up and answers /healthz,
// and once the server behaves it holds exactly the devices present, none registered twice,
// nothing of others touched. Every wait is on a condition; no assertion is on time.
import assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  startMisbehavingBackend,
  type MisbehavingBackend,
  type MisbehaviourMode,
} from '../fakes/misbehaving-backend.js';
import {
  deviceProfile,
  startEngine,
  waitFor,
  workspace,
  writeConfig,
  type EngineProcess,
  type Workspace,
} from '../daemon/engine-process.js';

/** Someone else's registration, present before the engine starts: never to be touched. */
const OTHERS = {
  'someone-else:1': { identifier: 'someone-else:1', name: 'Not ours', available: true, classes: ['x'] },
};

type Delivery = { identifier: string; state: string; lastError?: string };
type Device = { source: string; deliveries: Delivery[] };

const plug = (space: Workspace, name: string) => writeFileSync(path.join(space.dev, name), '');
const unplug = (space: Workspace, name: string) => unlinkSync(path.join(space.dev, name));
const ours = (backend: MisbehavingBackend) =>
  [...backend.peripherals.keys()].filter((identifier) => identifier.startsWith('test-device:')).sort();

async function deliveries(engine: EngineProcess): Promise<Delivery[]> {
  const devices = (await engine.get('/devices')).body as Device[];
  return devices.filter((device) => device.source === 'file').flatMap((device) => device.deliveries);
}

/** The daemon is alive and its status server answers. */
async function assertAlive(engine: EngineProcess): Promise<void> {
  const exited = await Promise.race([engine.exited.then(() => true), Promise.resolve(false)]);
  assert.equal(exited, false, 'the engine is still running');
  const health = await engine.get('/healthz');
  assert.equal(health.status, 200, health.text);
}

/** Nothing addressed to another manager's registration, and it is as it was. */
function assertOthersUntouched(backend: MisbehavingBackend, foreign: Record<string, Record<string, unknown>>): void {
  for (const [identifier, document] of Object.entries(foreign)) {
    assert.deepEqual(backend.peripherals.get(identifier), document, `${identifier} is untouched`);
    const addressed = backend.requests.filter(
      (request) => request.identifier === identifier && request.method !== 'POST',
    );
    assert.deepEqual(
      addressed.map((request) => `${request.method} ${request.path}`),
      [],
      `no PUT or DELETE of ${identifier}`,
    );
  }
}

/** Runs `body` with a misbehaving backend, a workspace and a running engine; cleans all up. */
async function withChaos(
  initial: Record<string, Record<string, unknown>>,
  body: (space: Workspace, backend: MisbehavingBackend, engine: EngineProcess) => Promise<void>,
): Promise<void> {
  const space = workspace();
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
  const backend = await startMisbehavingBackend(initial);
  writeConfig(space, backend.url);
  const engine = await startEngine(space);
  try {
    await body(space, backend, engine);
    await assertAlive(engine);
    assert.equal(await engine.stop(), 0, 'the engine stops cleanly');
  } finally {
    await engine.kill().catch(() => undefined);
    await backend.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

/** What /devices says while the server misbehaves, when the mode has a reason to show. */
const EXPECTED_REASON: Partial<Record<MisbehaviourMode, RegExp>> = {
  hang: /timed out/,
  'one-byte-a-second': /timed out/,
  html: /HTTP 200 text\/html: this is not the NuvlaBox agent/,
  'truncated-json': /not complete JSON/,
  'huge-body': /larger than 1 MiB/,
  'retry-after-0': /HTTP 503/,
  'close-mid-answer': /connection closed/,
  'error-500': /HTTP 500/,
};

describe('chaos: a hostile backend never breaks the invariant', () => {
  for (const mode of Object.keys(EXPECTED_REASON) as MisbehaviourMode[]) {
    test(`${mode}, then healthy: exactly the present set, nothing twice, others untouched, daemon alive`, () =>
      withChaos(OTHERS, async (space, backend, engine) => {
        backend.mode = mode;
        for (const name of ['sensor1', 'sensor2', 'sensor3']) plug(space, name);
        const misbehaved = () => backend.requests.filter((request) => request.mode === mode);
        await waitFor(`requests answered in mode ${mode}`, () => misbehaved().length >= 3, 60_000);
        await waitFor(
          `/devices showing why (${mode})`,
          async () =>
            (await deliveries(engine)).some((delivery) => EXPECTED_REASON[mode]!.test(delivery.lastError ?? '')),
          60_000,
        );
        unplug(space, 'sensor3');
        await assertAlive(engine);
        backend.mode = 'healthy';
        await waitFor(
          'convergence to the present set',
          () => ours(backend).join() === 'test-device:sensor1,test-device:sensor2',
          60_000,
        );
        await waitFor(
          'every delivery acknowledged',
          async () => (await deliveries(engine)).every((delivery) => delivery.state === 'acknowledged'),
          60_000,
        );
        for (const identifier of ['test-device:sensor1', 'test-device:sensor2']) {
          assert.equal(
            backend.registrations.filter((registered) => registered === identifier).length,
            1,
            `${identifier} registered once`,
          );
        }
        assertOthersUntouched(backend, OTHERS);
        if (mode === 'retry-after-0') {
          // The server's "retry now" never removes the engine's own backoff.
          const waits = engine.logs.filter(
            (line) => line.msg === 'delivery failed, will retry' && /HTTP 503/.test(String(line['reason'])),
          );
          assert.ok(waits.length > 0);
          assert.ok(
            waits.every((line) => Number(line['retryInMs']) >= 25),
            JSON.stringify(waits.map((line) => line['retryInMs'])),
          );
        }
      }));
  }

  test('500 for a while, then healthy: every device registered once, nothing lost', () =>
    withChaos(OTHERS, async (space, backend) => {
      backend.mode = 'error-500';
      for (const name of ['sensor1', 'sensor2']) plug(space, name);
      await waitFor(
        'several 500s',
        () => backend.requests.filter((request) => request.status === 500).length >= 6,
        60_000,
      );
      backend.mode = 'healthy';
      await waitFor('convergence', () => ours(backend).join() === 'test-device:sensor1,test-device:sensor2', 60_000);
      assert.deepEqual(backend.registrations.slice().sort(), ['test-device:sensor1', 'test-device:sensor2']);
      assertOthersUntouched(backend, OTHERS);
    }));

  test('identifiers someone else registered: a conflict on /devices and in the log, never PUT nor DELETEd; it clears when theirs goes', () => {
    const theirs = (name: string) => ({
      [`test-device:${name}`]: {
        identifier: `test-device:${name}`,
        name: 'Registered by another manager',
        available: true,
        classes: ['other'],
      },
    });
    return withChaos({ ...OTHERS, ...theirs('sensor1'), ...theirs('sensor3') }, async (space, backend, engine) => {
      for (const name of ['sensor1', 'sensor2', 'sensor3']) plug(space, name);
      const delivery = async (name: string) =>
        (await deliveries(engine)).find((found) => found.identifier === `test-device:${name}`);
      for (const name of ['sensor1', 'sensor3'])
        await waitFor(
          `the conflict of ${name} on /devices`,
          async () => (await delivery(name))?.state === 'conflict',
          60_000,
        );
      assert.match((await delivery('sensor1'))!.lastError!, /someone else/);
      assert.ok(engine.logs.some((line) => line.level === 'warn' && /someone else/.test(String(line['reason']))));
      await waitFor('sensor2 registered', () => ours(backend).includes('test-device:sensor2'), 60_000);
      // Re-checked (slowly) while it lasts: each re-check is a POST, never a PUT.
      await waitFor(
        'a re-check',
        () => backend.requests.filter((request) => request.identifier === 'test-device:sensor1').length >= 2,
        60_000,
      );
      assertOthersUntouched(backend, { ...OTHERS, ...theirs('sensor1'), ...theirs('sensor3') });

      // A device whose identifier is someone else's goes: theirs stays, no DELETE.
      unplug(space, 'sensor3');
      await waitFor('sensor3 gone from /devices', async () => (await delivery('sensor3')) === undefined, 60_000);

      // Theirs goes: the engine's re-check registers its own, which is then the engine's to remove.
      backend.peripherals.delete('test-device:sensor1');
      await waitFor(
        'sensor1 registered by the engine',
        () => backend.registrations.includes('test-device:sensor1'),
        60_000,
      );
      await waitFor('sensor1 acknowledged', async () => (await delivery('sensor1'))?.state === 'acknowledged', 60_000);
      unplug(space, 'sensor1');
      await waitFor('sensor1 deregistered', () => !backend.peripherals.has('test-device:sensor1'), 60_000);
      assert.deepEqual(ours(backend), ['test-device:sensor2', 'test-device:sensor3']);
      assertOthersUntouched(backend, { ...OTHERS, ...theirs('sensor3') });
    });
  });
});
