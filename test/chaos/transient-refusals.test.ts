// A "permanent" refusal is often a passing one: a proxy redirecting for a few seconds, a backend
// answering 409 while something else holds the resource. The real engine process tries again
// slowly (every retry cap) and says why on /devices meanwhile; once the backend behaves, it holds
// exactly the devices present, none registered twice, and the daemon answers throughout.
import assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startMisbehavingBackend, type MisbehaviourMode } from '../fakes/misbehaving-backend.js';
import {
  deviceProfile,
  startEngine,
  waitFor,
  workspace,
  writeConfig,
  type EngineProcess,
} from '../daemon/engine-process.js';

type Delivery = { identifier: string; state: string; lastError?: string; nextAttemptAt?: string };
type Device = { source: string; deliveries: Delivery[] };

async function deliveries(engine: EngineProcess): Promise<Delivery[]> {
  const devices = (await engine.get('/devices')).body as Device[];
  return devices.filter((device) => device.source === 'file').flatMap((device) => device.deliveries);
}

const REFUSALS: [MisbehaviourMode, RegExp][] = [
  ['redirect-307', /HTTP 307/],
  ['conflict-409', /HTTP 409/],
];

describe('chaos: a refusal that passes is outlived', () => {
  for (const [mode, reason] of REFUSALS)
    test(`${mode} for a while, then healthy: exactly the present set, nothing twice, daemon alive`, async () => {
      const space = workspace();
      writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
      const backend = await startMisbehavingBackend();
      writeConfig(space, backend.url);
      const engine = await startEngine(space);
      try {
        backend.mode = mode;
        for (const name of ['sensor1', 'sensor2', 'sensor3']) writeFileSync(path.join(space.dev, name), '');
        await waitFor(
          `/devices saying why (${mode}) and when it is tried again`,
          async () =>
            (await deliveries(engine)).filter(
              (delivery) =>
                delivery.state === 'failed' && reason.test(delivery.lastError ?? '') && delivery.nextAttemptAt,
            ).length === 3,
          60_000,
        );
        // Tried again while it lasts, not only when something changes.
        await waitFor(
          'a second refusal of one device',
          () => backend.requests.filter((request) => request.identifier === 'test-device:sensor1').length >= 2,
          60_000,
        );
        unlinkSync(path.join(space.dev, 'sensor3'));
        // Seen gone (its removal refused too) before the backend heals, so it is never registered.
        await waitFor(
          'the removal of sensor3 tried',
          () =>
            backend.requests.some(
              (request) => request.method === 'DELETE' && request.identifier === 'test-device:sensor3',
            ),
          60_000,
        );
        backend.mode = 'healthy';
        const ours = () => [...backend.peripherals.keys()].sort().join();
        await waitFor(
          'convergence to the present set',
          () => ours() === 'test-device:sensor1,test-device:sensor2',
          60_000,
        );
        await waitFor(
          'every delivery acknowledged',
          async () => (await deliveries(engine)).every((delivery) => delivery.state === 'acknowledged'),
          60_000,
        );
        assert.deepEqual(backend.registrations.slice().sort(), ['test-device:sensor1', 'test-device:sensor2']);
        assert.equal((await engine.get('/healthz')).status, 200);
        assert.equal(await engine.stop(), 0, 'the engine stops cleanly');
      } finally {
        await engine.kill().catch(() => undefined);
        await backend.close();
        rmSync(space.root, { recursive: true, force: true });
      }
    });
});
