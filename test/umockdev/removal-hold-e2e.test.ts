/*
 * Removal grace (`holdMs`) on simulated USB hardware: a real engine process under a umockdev
 * testbed, the `nuvlabox` backend pointed at the fake NuvlaBox agent. A device that resets and
 * comes back within its hold (the same port, or another one with the same serial) sends nothing,
 * or one PUT when its payload changed; USB devices are held 2 s by default; a device absent when
 * the engine restarts is held from the start, so one that comes back sends nothing and one that
 * does not ends in a DELETE.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { EngineProcess, Workspace } from '../daemon/engine-process.js';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import type { DeviceStatus } from '../../engine/server/status-data.js';
import { startTestbed, umockdevAvailable, type Testbed } from './testbed.js';
import {
  BARE,
  documentOf,
  GPS,
  peripheralRequests,
  plug,
  requestIdentifier,
  startUsbEngine,
  unplug,
  usbProfile,
  usbWorkspace,
  waitFor,
} from './usb-helpers.js';

const skip = umockdevAvailable();
const IDENTIFIER = '1546:01a7:GPS-0001';
const KEY = 'usb:1-1.4';
/** A hold no test waits out: what happens within it does not depend on how fast the machine is. */
const LONG_HOLD_MS = 600_000;

const gpsProfile = (holdMs?: number) =>
  `${holdMs === undefined ? '' : `holdMs: ${holdMs}\n`}${usbProfile('gps', { vendorId: '1546', productId: '01a7' })}`;

const trafficOf = (agent: FakeAgent) =>
  peripheralRequests(agent)
    .filter((request) => requestIdentifier(request) === IDENTIFIER)
    .map((request) => `${request.method} ${request.status}`);

async function deviceOf(engine: EngineProcess, key: string): Promise<DeviceStatus | undefined> {
  return ((await engine.get('/devices')).body as DeviceStatus[]).find((device) => device.key === key);
}

const shownLeaving = async (engine: EngineProcess, key = KEY) => (await deviceOf(engine, key))?.leaving !== undefined;

/** Whether `/devices` shows the device present with every delivery acknowledged. */
async function presentAndDelivered(engine: EngineProcess, key = KEY): Promise<boolean> {
  const device = await deviceOf(engine, key);
  if (!device || device.present !== undefined) return false;
  return device.deliveries.length > 0 && device.deliveries.every((delivery) => delivery.state === 'acknowledged');
}

/** A testbed with a USB bus, the fake agent and a workspace; all torn down after. */
async function withGps(
  profile: string,
  body: (rig: { testbed: Testbed; agent: FakeAgent; space: Workspace }) => Promise<void>,
): Promise<void> {
  const testbed = await startTestbed();
  const agent = await startFakeAgent();
  const space = usbWorkspace(agent, { mode: 'libusb' }, { gps: profile });
  // A USB bus is there at start-up, as on a gateway.
  await testbed.addUsbDevice(BARE);
  try {
    await body({ testbed, agent, space });
  } finally {
    await agent.close();
    await testbed.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

async function withEngine(
  testbed: Testbed,
  space: Workspace,
  body: (engine: EngineProcess) => Promise<void>,
): Promise<void> {
  const engine = await startUsbEngine(testbed, space);
  try {
    await body(engine);
    assert.equal(await engine.stop(), 0, 'the engine stops cleanly');
  } finally {
    await engine.kill().catch(() => undefined);
  }
}

describe('removal grace (holdMs) on simulated USB hardware', () => {
  test('without any holdMs, an unplugged USB device is held 2 s, then deregistered', { skip }, () =>
    withGps(gpsProfile(), ({ testbed, agent, space }) =>
      withEngine(testbed, space, async (engine) => {
        const gps = await plug(testbed, GPS, { uevents: true });
        await waitFor('the registration', () => presentAndDelivered(engine));
        const unpluggedAt = await unplug(testbed, gps, { uevents: true });
        await waitFor('the deregistration', () => !agent.peripherals.has(IDENTIFIER));
        const deleted = peripheralRequests(agent, 'DELETE')[0]!;
        // The engine hears of the unplug after it began, and holds from then: never earlier.
        assert.ok(deleted.at - unpluggedAt >= 2000, `DELETE came ${deleted.at - unpluggedAt} ms after the unplug`);
        assert.ok(
          engine.logs.some(
            (line) => line.msg.startsWith('device gone;') && line.device === KEY && line.holdMs === 2000,
          ),
        );
        assert.deepEqual(trafficOf(agent), ['POST 201', 'DELETE 200']);
      }),
    ),
  );

  test(
    'a replug within the hold sends nothing (shown leaving meanwhile); at a new address or in another port, one PUT',
    { skip },
    () =>
      withGps(gpsProfile(LONG_HOLD_MS), ({ testbed, agent, space }) =>
        withEngine(testbed, space, async (engine) => {
          let gps = await plug(testbed, { ...GPS, devnum: 9 }, { uevents: true });
          await waitFor('the registration', () => presentAndDelivered(engine));

          await unplug(testbed, gps, { uevents: true });
          await waitFor('the GPS shown leaving', () => shownLeaving(engine));
          const leaving = (await deviceOf(engine, KEY))!;
          assert.equal(leaving.present, false);
          assert.equal(leaving.profile, 'gps');
          assert.equal(Date.parse(leaving.leaving!.until) - Date.parse(leaving.leaving!.since), LONG_HOLD_MS);
          gps = await plug(testbed, { ...GPS, devnum: 9 }, { uevents: true });
          await waitFor('the GPS present again', () => presentAndDelivered(engine));
          assert.deepEqual(trafficOf(agent), ['POST 201'], 'back at the same address: nothing sent');

          await unplug(testbed, gps, { uevents: true });
          await waitFor('the GPS shown leaving', () => shownLeaving(engine));
          gps = await plug(testbed, { ...GPS, devnum: 12 }, { uevents: true });
          await waitFor('the new address', () => documentOf(agent, IDENTIFIER)?.['device-path'] === gps.devnode);
          await waitFor('the GPS present again', () => presentAndDelivered(engine));
          assert.deepEqual(trafficOf(agent), ['POST 201', 'PUT 200'], 'back at a new address: one update');

          await unplug(testbed, gps, { uevents: true });
          await waitFor('the GPS shown leaving', () => shownLeaving(engine));
          gps = await plug(testbed, { ...GPS, port: '1-2', devnum: 14 }, { uevents: true });
          await waitFor('the other port', () => documentOf(agent, IDENTIFIER)?.['device-path'] === gps.devnode);
          await waitFor('the GPS present in 1-2', () => presentAndDelivered(engine, 'usb:1-2'));
          // Back in another port with the same serial, it took its identifier over: no longer leaving.
          await waitFor('1-1.4 no longer leaving', async () => (await deviceOf(engine, KEY)) === undefined);
          assert.deepEqual(trafficOf(agent), ['POST 201', 'PUT 200', 'PUT 200'], 'moved: one update');
          assert.deepEqual([...agent.peripherals.keys()], [IDENTIFIER]);
        }),
      ),
  );

  test(
    'absent when the engine restarts, it is held from the start: back within the hold nothing is sent; never back, it is deregistered when the hold ends',
    { skip },
    () =>
      withGps(gpsProfile(LONG_HOLD_MS), async ({ testbed, agent, space }) => {
        await withEngine(testbed, space, async (engine) => {
          const plugged = await plug(testbed, GPS, { uevents: true });
          await waitFor('the registration', () => presentAndDelivered(engine));
          await unplug(testbed, plugged, { uevents: true });
          await waitFor('the GPS shown leaving', () => shownLeaving(engine));
        });
        assert.deepEqual(trafficOf(agent), ['POST 201'], 'nothing sent within the hold');
        // Restarted without it, as at boot before the bus has enumerated: held, then back.
        await withEngine(testbed, space, async (engine) => {
          assert.ok(await shownLeaving(engine), 'held from the start');
          const back = await plug(testbed, GPS, { uevents: true });
          await waitFor('the GPS present again', () => presentAndDelivered(engine));
          await unplug(testbed, back, { uevents: true });
          await waitFor('the GPS shown leaving again', () => shownLeaving(engine));
        });
        assert.deepEqual(trafficOf(agent), ['POST 201'], 'back within the hold after a restart: nothing sent');
        // Restarted without it, with a short hold: deregistered once the hold is over.
        writeFileSync(path.join(space.profiles, 'gps.yaml'), gpsProfile(3000));
        await withEngine(testbed, space, async (engine) => {
          assert.ok(await shownLeaving(engine), 'held from the start');
          await waitFor('the deregistration once the hold is over', () => !agent.peripherals.has(IDENTIFIER));
        });
        assert.deepEqual(trafficOf(agent), ['POST 201', 'DELETE 200']);
      }),
  );
});
