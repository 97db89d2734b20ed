// A USB burst under a umockdev testbed (test/umockdev/README.md): DEVICES devices plugged one
// right after another (a powered hub of sensors switched on, a rack of gateways' sticks), then
// all unplugged the same way. How long until the agent holds all of them, and none again, and
// how many requests that took: one POST and one DELETE per device; more means a device was
// registered or deleted twice.
//
// How: the engine runs under the testbed in hotplug mode (libusb, uevents), with one profile
// (test/umockdev/usb-helpers.ts `usbProfile`) notifying a fake NuvlaBox agent on 127.0.0.1 and
// `sources.usb.holdMs: 0`, so each DELETE goes as soon as the device is gone (the default 2 s
// hold would only delay them all). The devices sit on BUSES buses (a bus has 127 addresses),
// ten to a hub, each with its own serial number; `plug` and `unplug` present them as the kernel
// does. Times run from just before the first plug (or unplug) to the agent holding all (or
// none), polled every 5 ms; the time the testbed itself took to present them all is reported
// beside them.
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeAgent, type FakeAgent } from '../test/fakes/fake-nuvlabox-agent.js';
import { startTestbed, umockdevAvailable } from '../test/umockdev/testbed.js';
import {
  peripheralRequests,
  plug,
  requestIdentifier,
  unplug,
  usbProfile,
  usbWorkspace,
  type PluggedDevice,
} from '../test/umockdev/usb-helpers.js';
import type { BenchFigure } from './bench-figure.js';
import { startDaemon } from './engine-daemon.js';

const DEVICES = 300;
const BUSES = 3;
const TIMEOUT_MS = 120_000;
const WHAT = `usb burst, ${DEVICES} devices (hotplug mode, no removal hold)`;

/** Milliseconds from `startedAt` until the agent holds `count` peripherals (NaN past the timeout). */
async function until(agent: FakeAgent, count: number, startedAt: number): Promise<number> {
  while (agent.peripherals.size !== count) {
    if (performance.now() - startedAt > TIMEOUT_MS) return Number.NaN;
    await sleep(5);
  }
  return performance.now() - startedAt;
}

/** The number of requests of `method`, and the most any one identifier received. */
function requestCounts(agent: FakeAgent, method: string): { total: number; most: number } {
  const counts = new Map<string, number>();
  for (const request of peripheralRequests(agent, method)) {
    const identifier = requestIdentifier(request) ?? '';
    counts.set(identifier, (counts.get(identifier) ?? 0) + 1);
  }
  return { total: [...counts.values()].reduce((sum, count) => sum + count, 0), most: Math.max(0, ...counts.values()) };
}

export async function run(cli: string): Promise<BenchFigure[]> {
  const reason = umockdevAvailable();
  if (reason) return [{ name: WHAT, value: Number.NaN, unit: 'ms', skipped: `umockdev is not available: ${reason}` }];
  const agent = await startFakeAgent();
  const testbed = await startTestbed();
  const space = usbWorkspace(
    agent,
    { mode: 'libusb', holdMs: 0 },
    { sensor: usbProfile('burst-sensor', { vendorId: 'c0de', productId: 'b002' }) },
  );
  try {
    // Each bus exists at start-up, as on a real machine: its first port holds an unrelated device.
    for (let bus = 1; bus <= BUSES; bus++)
      await testbed.addUsbDevice({ port: `${bus}-1`, vendorId: '1d50', productId: '6089', serial: `BUS${bus}` });
    const daemon = await startDaemon(
      cli,
      ['--profiles', space.profiles, '--config', space.config, '--state', space.state, '--port', '0'],
      testbed.env(),
    );
    try {
      const perBus = Math.ceil(DEVICES / BUSES);
      const specs = Array.from({ length: DEVICES }, (_, index) => ({
        // Ten to a hub: `2-5.3` is port 3 of the hub on port 5 of bus 2.
        port: `${1 + Math.floor(index / perBus)}-${2 + Math.floor((index % perBus) / 10)}.${1 + (index % 10)}`,
        vendorId: 'c0de',
        productId: 'b002',
        product: 'Burst Sensor',
        serial: `BURST${String(index).padStart(4, '0')}`,
      }));
      let startedAt = performance.now();
      const plugged: PluggedDevice[] = [];
      for (const spec of specs) plugged.push(await plug(testbed, spec, { uevents: true }));
      const presented = performance.now() - startedAt;
      const held = await until(agent, DEVICES, startedAt);
      const posts = requestCounts(agent, 'POST');
      startedAt = performance.now();
      for (const device of plugged) await unplug(testbed, device, { uevents: true });
      const removed = performance.now() - startedAt;
      const emptied = await until(agent, 0, startedAt);
      // Anything late (a second DELETE) would come within moments of the last.
      await sleep(2000);
      const deletes = requestCounts(agent, 'DELETE');
      return [
        { name: `${WHAT}: testbed plugging them all`, value: presented, unit: 'ms' },
        { name: `${WHAT}: first plug → all held`, value: held, unit: 'ms' },
        { name: `${WHAT}: POSTs sent`, value: posts.total, unit: 'requests' },
        { name: `${WHAT}: most POSTs for one device`, value: posts.most, unit: 'requests' },
        { name: `${WHAT}: testbed unplugging them all`, value: removed, unit: 'ms' },
        { name: `${WHAT}: first unplug → none held`, value: emptied, unit: 'ms' },
        { name: `${WHAT}: DELETEs sent`, value: deletes.total, unit: 'requests' },
        { name: `${WHAT}: most DELETEs for one device`, value: deletes.most, unit: 'requests' },
      ];
    } finally {
      await daemon.stop();
    }
  } finally {
    await testbed.close();
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}
