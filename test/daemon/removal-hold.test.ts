// Removal grace (`holdMs`) end to end with the file source: real engine processes, the fake NuvlaBox
// agent on loopback, device "nodes" as real files. A device that goes and comes back within its
// hold sends nothing (or one update), `/devices` and the status page show it leaving meanwhile,
// and once the hold is over, or the engine restarted, it is deregistered.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { HOLDS_FILE } from '../../engine/reconcile/hold-times-file.js';
import type { DeviceStatus } from '../../engine/server/status-data.js';
import {
  deviceProfile,
  startEngine,
  waitFor,
  workspace,
  writeConfig,
  type EngineProcess,
  type Workspace,
} from './engine-process.js';

/** A hold no test waits out: what happens within it does not depend on how fast the machine is. */
const LONG_HOLD_MS = 600_000;

/** The test-device profile (file `sensor*`), with `holdMs` when given and the file's type in the description. */
function sensorProfile(space: Workspace, options: { name?: string; prefix?: string; holdMs?: number } = {}): string {
  const text = deviceProfile(space, options).replace(
    'description: { cat: ["at site ", { var: "params.site" }] }',
    'description: { cat: ["a ", { var: "file.type" }, " at site ", { var: "params.site" }] }',
  );
  return options.holdMs === undefined ? text : `holdMs: ${options.holdMs}\n${text}`;
}

const plug = (space: Workspace, name: string) => writeFileSync(path.join(space.dev, name), '');
const unplug = (space: Workspace, name: string) => unlinkSync(path.join(space.dev, name));
const traffic = (agent: FakeAgent, identifier: string) =>
  agent.requests
    .filter((request) => request.path.startsWith('/api/peripheral'))
    .filter((request) =>
      request.method === 'POST'
        ? (request.body as { identifier?: string }).identifier === identifier
        : decodeURIComponent(request.path).includes(identifier),
    )
    .map((request) => `${request.method} ${request.status}`);

async function deviceOf(engine: EngineProcess, key: string): Promise<DeviceStatus | undefined> {
  return ((await engine.get('/devices')).body as DeviceStatus[]).find((device) => device.key === key);
}

/** Whether `/devices` shows the device present, with every delivery acknowledged. */
async function presentAndDelivered(engine: EngineProcess, key: string): Promise<boolean> {
  const device = await deviceOf(engine, key);
  if (!device || device.present !== undefined) return false;
  return device.deliveries.length > 0 && device.deliveries.every((delivery) => delivery.state === 'acknowledged');
}

/** A workspace with `profiles`, the fake agent and a config (`extra` appended); everything cleaned up after. */
async function withSetUp(
  profiles: (space: Workspace) => Record<string, string>,
  extraConfig: string,
  body: (space: Workspace, agent: FakeAgent) => Promise<void>,
): Promise<void> {
  const space = workspace();
  const agent = await startFakeAgent();
  writeConfig(space, agent.url, extraConfig);
  for (const [name, text] of Object.entries(profiles(space)))
    writeFileSync(path.join(space.profiles, `${name}.yaml`), text);
  try {
    await body(space, agent);
  } finally {
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

async function withEngine(space: Workspace, body: (engine: EngineProcess) => Promise<void>): Promise<void> {
  const engine = await startEngine(space);
  try {
    await body(engine);
  } finally {
    await engine.stop();
  }
}

describe('removal grace (holdMs) with the file source', () => {
  test('a file removed and created again within its profile hold sends nothing; /devices and the status page show it leaving meanwhile; a changed payload is one PUT', () =>
    withSetUp(
      (space) => ({ sensor: sensorProfile(space, { holdMs: LONG_HOLD_MS }) }),
      '',
      (space, agent) =>
        withEngine(space, async (engine) => {
          const key = `file:${path.join(space.dev, 'sensor1')}`;
          plug(space, 'sensor1');
          await waitFor('the registration', () => presentAndDelivered(engine, key));

          unplug(space, 'sensor1');
          await waitFor('the device shown leaving', async () => (await deviceOf(engine, key))?.leaving !== undefined);
          const leaving = (await deviceOf(engine, key))!;
          assert.equal(leaving.present, false);
          assert.equal(leaving.profile, 'test-device');
          assert.equal(Date.parse(leaving.leaving!.until) - Date.parse(leaving.leaving!.since), LONG_HOLD_MS);
          assert.deepEqual(
            leaving.deliveries.map((delivery) => delivery.state),
            ['acknowledged'],
          );
          const page = await (
            await fetch(`http://127.0.0.1:${engine.port}/`, { headers: { accept: 'text/html' } })
          ).text();
          const section = /<div id="leaving">([\s\S]*?)<\/div>\n<h2>/.exec(page)?.[1] ?? '';
          assert.ok(section.includes(`data-key="${key}"`), 'the status page lists the device under Leaving');
          assert.match(page, /1 leaving/);
          assert.ok(agent.peripherals.has('test-device:sensor1'), 'still registered within the hold');

          plug(space, 'sensor1');
          await waitFor('the device present again', () => presentAndDelivered(engine, key));
          assert.deepEqual(traffic(agent, 'test-device:sensor1'), ['POST 201']);

          // Back as another kind of file: the payload changed, one update.
          unplug(space, 'sensor1');
          await waitFor('the device shown leaving', async () => (await deviceOf(engine, key))?.leaving !== undefined);
          symlinkSync(path.join(space.root, 'elsewhere'), path.join(space.dev, 'sensor1'));
          await waitFor('the update', () =>
            String(agent.peripherals.get('test-device:sensor1')?.description).startsWith('a symlink'),
          );
          await waitFor('the device present again', () => presentAndDelivered(engine, key));
          assert.deepEqual(traffic(agent, 'test-device:sensor1'), ['POST 201', 'PUT 200']);
        }),
    ));

  test('once the hold is over without the device, it is deregistered (DELETE), not before', () =>
    withSetUp(
      (space) => ({ sensor: sensorProfile(space, { holdMs: 4000 }) }),
      '',
      (space, agent) =>
        withEngine(space, async (engine) => {
          const key = `file:${path.join(space.dev, 'sensor1')}`;
          plug(space, 'sensor1');
          await waitFor('the registration', () => presentAndDelivered(engine, key));
          const removedAt = Date.now();
          unplug(space, 'sensor1');
          await waitFor('the deregistration', () => !agent.peripherals.has('test-device:sensor1'));
          const deleted = agent.requests.find((request) => request.method === 'DELETE')!;
          // The engine sees the removal after it happened, and holds from then: never earlier.
          assert.ok(deleted.at - removedAt >= 1500, `DELETE came ${deleted.at - removedAt} ms after the removal`);
          assert.deepEqual(traffic(agent, 'test-device:sensor1'), ['POST 201', 'DELETE 200']);
          await waitFor('the device gone from /devices', async () => (await deviceOf(engine, key)) === undefined);
        }),
    ));

  test("the file source's config holdMs is the default of its profiles; a profile's own holdMs (0 here) outranks it; without either, no hold", () =>
    withSetUp(
      (space) => ({
        sensor: sensorProfile(space),
        probe: sensorProfile(space, { name: 'probe-device', prefix: 'probe', holdMs: 0 }),
      }),
      `sources: { file: { holdMs: ${LONG_HOLD_MS} } }\n`,
      (space, agent) =>
        withEngine(space, async (engine) => {
          plug(space, 'sensor1');
          plug(space, 'probe1');
          await waitFor('both registrations', () => agent.peripherals.size === 2);
          unplug(space, 'sensor1');
          unplug(space, 'probe1');
          await waitFor('the profile without hold deregistered', () => !agent.peripherals.has('probe-device:probe1'));
          await waitFor(
            'the other shown leaving',
            async () => (await deviceOf(engine, `file:${path.join(space.dev, 'sensor1')}`))?.leaving !== undefined,
          );
          assert.ok(agent.peripherals.has('test-device:sensor1'));
          assert.deepEqual(traffic(agent, 'test-device:sensor1'), ['POST 201']);
        }),
    ));

  test('a device gone while the engine was stopped keeps its registration for its hold after the restart, then is deregistered', () =>
    withSetUp(
      (space) => ({ sensor: sensorProfile(space, { holdMs: LONG_HOLD_MS }) }),
      '',
      async (space, agent) => {
        const key = `file:${path.join(space.dev, 'sensor1')}`;
        await withEngine(space, async (engine) => {
          plug(space, 'sensor1');
          await waitFor('the registration', () => presentAndDelivered(engine, key));
          unplug(space, 'sensor1');
          await waitFor('the device shown leaving', async () => (await deviceOf(engine, key))?.leaving !== undefined);
        });
        assert.deepEqual(traffic(agent, 'test-device:sensor1'), ['POST 201'], 'nothing sent within the hold');
        // The restarted engine counts the hold from its start: a short one, waited out here.
        writeFileSync(path.join(space.profiles, 'sensor.yaml'), sensorProfile(space, { holdMs: 4000 }));
        await withEngine(space, async (engine) => {
          assert.ok((await deviceOf(engine, key))?.leaving, 'shown leaving once ready');
          assert.ok(
            engine.logs.some(
              (line) => line.msg === 'device absent at start-up; its registrations are kept for its hold',
            ),
          );
          await waitFor(
            'the deregistration once the hold is over',
            () => !agent.peripherals.has('test-device:sensor1'),
          );
          const held = engine.logs.find(
            (line) => line.msg === 'device absent at start-up; its registrations are kept for its hold',
          )!;
          const ended = engine.logs.find((line) => line.msg.startsWith('device hold ended'));
          assert.ok(
            ended && Date.parse(String(ended.time)) - Date.parse(String(held.time)) >= 3900,
            'not before its hold',
          );
        });
        assert.deepEqual(traffic(agent, 'test-device:sensor1'), ['POST 201', 'DELETE 200']);
      },
    ));

  test('an engine restarted within a hold goes on with it, never longer; a hold that ended while it was down deregisters at start', () =>
    withSetUp(
      (space) => ({ sensor: sensorProfile(space, { holdMs: LONG_HOLD_MS }) }),
      '',
      async (space, agent) => {
        const key = `file:${path.join(space.dev, 'sensor1')}`;
        let first!: { since: string; until: string };
        await withEngine(space, async (engine) => {
          plug(space, 'sensor1');
          await waitFor('the registration', () => presentAndDelivered(engine, key));
          unplug(space, 'sensor1');
          await waitFor('the device shown leaving', async () => (await deviceOf(engine, key))?.leaving !== undefined);
          first = (await deviceOf(engine, key))!.leaving!;
        });
        // Restarted twice, as in a crash loop: the same hold each time, not a new one from each start.
        for (const restart of [1, 2])
          await withEngine(space, async (engine) => {
            assert.deepEqual((await deviceOf(engine, key))?.leaving, first, `restart ${restart}: the first run's hold`);
          });
        assert.deepEqual(traffic(agent, 'test-device:sensor1'), ['POST 201'], 'nothing sent within the hold');
        // The engine down past the hold's end: what the state folder says when it starts again.
        const holdsFile = path.join(space.state, HOLDS_FILE);
        const holds = JSON.parse(readFileSync(holdsFile, 'utf8')) as { holds: Record<string, { until: string }> };
        assert.equal(holds.holds[key]?.until, first.until);
        holds.holds[key]!.until = new Date(Date.now() - 1000).toISOString();
        writeFileSync(holdsFile, JSON.stringify(holds));
        await withEngine(space, async (engine) => {
          await waitFor('the deregistration', () => !agent.peripherals.has('test-device:sensor1'));
          assert.ok(engine.logs.some((line) => line.msg.startsWith('device absent at start-up, its hold over')));
          assert.ok(
            !engine.logs.some((line) => line.msg.startsWith('device absent at start-up; its registrations are kept')),
          );
        });
        assert.deepEqual(traffic(agent, 'test-device:sensor1'), ['POST 201', 'DELETE 200']);
        const after = JSON.parse(readFileSync(holdsFile, 'utf8')) as { holds: Record<string, unknown> };
        assert.deepEqual(after.holds, {}, 'the hold is forgotten once over');
      },
    ));

  test('a device absent when the engine starts and back within its hold sends nothing; one gone for good is deregistered', () =>
    withSetUp(
      (space) => ({
        sensor: sensorProfile(space, { holdMs: LONG_HOLD_MS }),
        gone: sensorProfile(space, { name: 'gone-sensor', prefix: 'gone', holdMs: 0 }),
      }),
      '',
      async (space, agent) => {
        const late = `file:${path.join(space.dev, 'sensor1')}`;
        await withEngine(space, async (engine) => {
          plug(space, 'sensor1');
          plug(space, 'gone1');
          await waitFor(
            'both registered',
            async () => (await presentAndDelivered(engine, late)) && agent.peripherals.size === 2,
          );
        });
        // Stopped with both present; both go; one comes back only once the engine is up again,
        // as a device that enumerates after the engine at boot.
        unplug(space, 'sensor1');
        unplug(space, 'gone1');
        await withEngine(space, async (engine) => {
          const held = await deviceOf(engine, late);
          assert.ok(held?.leaving, 'the late one is held');
          assert.equal(held.profile, 'test-device');
          await waitFor('the one without a hold deregistered', () => agent.peripherals.size === 1);
          plug(space, 'sensor1');
          await waitFor('the late one present again', () => presentAndDelivered(engine, late));
          assert.equal((await deviceOf(engine, late))?.leaving, undefined);
        });
        assert.deepEqual(traffic(agent, 'test-device:sensor1'), ['POST 201'], 'the late one: nothing sent again');
        assert.ok(agent.peripherals.has('test-device:sensor1'));
        assert.equal(agent.requests.filter((request) => request.method === 'DELETE').length, 1);
      },
    ));
});
