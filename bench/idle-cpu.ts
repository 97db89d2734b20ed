// CPU time and wake-ups of the idle daemon: after the devices present are registered, nothing
// happens for WINDOW_MS; a daemon that sleeps then uses next to nothing. Two set-ups:
// - file: 10 file devices present (empty files in a folder) and 100 file profiles, 10 matching
//   one device each and 90 naming paths that are absent (so the file source watches for them);
//   runs anywhere.
// - usb: the USB source in hotplug mode (libusb), 10 USB devices (ports 1-1 to 1-10 of one bus)
//   in a umockdev testbed (see test/umockdev/README.md) and 100 USB profiles, 10 matching one
//   device each; libusb then waits on its uevent socket. Skipped where umockdev is missing.
//
// How: each profile notifies a `nuvlabox` backend at a fake agent on 127.0.0.1. Once the 10
// registrations have arrived, the daemon goes on working a little (it samples its event-loop
// delay for a few seconds after the last work, see engine/server/busy-loop-delay.ts, and V8
// tidies its heap for up to a minute after a burst of work): the benchmark waits until the
// process has not woken for QUIET_MS (at most SETTLE_MAX_MS) and reports how long that took.
// Then the daemon's counters are read from /proc, again after WINDOW_MS of idling, and the
// differences reported (bench/process-activity.ts says what is counted): CPU time, its share of
// one core, wake-ups per second of all threads (for usb, also of node-usb's libusb event
// thread), and the requests the agent got meanwhile (0 expected).
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deviceProfile, waitFor, workspace, writeConfig } from '../test/daemon/engine-process.js';
import { startFakeAgent, type FakeAgent } from '../test/fakes/fake-nuvlabox-agent.js';
import { startTestbed, umockdevAvailable, type UsbDeviceSpec } from '../test/umockdev/testbed.js';
import { usbProfile, usbWorkspace } from '../test/umockdev/usb-helpers.js';
import type { BenchFigure } from './bench-figure.js';
import { startDaemon } from './engine-daemon.js';
import { idleFigures, quietAfter, readActivity } from './process-activity.js';

const WINDOW_MS = 60_000;
/** Longer than V8's 8 s between heap-tidying steps, so that quiet means they are over. */
const QUIET_MS = 10_000;
const SETTLE_MAX_MS = 90_000;
const DEVICES = 10;
const PROFILES = 100;

const hex4 = (value: number) => value.toString(16).padStart(4, '0');

function device(index: number): UsbDeviceSpec {
  return {
    port: `1-${index + 1}`,
    vendorId: 'c0de',
    productId: hex4(0x100 + index),
    manufacturer: 'Idle Devices',
    product: `Idle device ${index}`,
    serial: `IDLE${index}`,
    interfaces: [
      { class: 0x02, subclass: 2, protocol: 1, driver: 'cdc_acm' },
      { class: 0x0a, driver: 'cdc_acm' },
    ],
  };
}

/** The daemon started with `args` (and `env`), measured idle once the agent holds every device. */
async function measureIdle(
  name: string,
  cli: string,
  args: string[],
  agent: FakeAgent,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BenchFigure[]> {
  const daemon = await startDaemon(cli, args, env);
  try {
    const ready = daemon.logs.find((line) => line.msg === 'engine ready');
    if (ready?.profiles !== PROFILES)
      throw new Error(`expected ${PROFILES} profiles loaded, the engine says ${String(ready?.profiles)}`);
    await waitFor('the registrations', () => agent.peripherals.size === DEVICES, 30_000);
    const settledMs = await quietAfter(daemon.pid, QUIET_MS, SETTLE_MAX_MS);
    const libusbThread = /^node-usb/;
    const before = { activity: readActivity(daemon.pid, libusbThread), requests: agent.requests.length };
    await sleep(WINDOW_MS);
    const after = { activity: readActivity(daemon.pid, libusbThread), requests: agent.requests.length };
    const seconds = (after.activity.at - before.activity.at) / 1000;
    return [
      {
        name: `${name}: from the registrations to ${QUIET_MS / 1000} s without a wake-up`,
        value: settledMs === undefined ? Number.NaN : settledMs / 1000,
        unit: 's',
        ...(settledMs === undefined ? { skipped: `not quiet within ${SETTLE_MAX_MS / 1000} s` } : {}),
      },
      ...idleFigures(name, before.activity, after.activity),
      ...(after.activity.wakeUpsOfNamed > 0
        ? [
            {
              name: `${name}: of which node-usb's libusb event thread`,
              value: (after.activity.wakeUpsOfNamed - before.activity.wakeUpsOfNamed) / seconds,
              unit: '/s',
            },
          ]
        : []),
      { name: `${name}: requests to the agent while idle`, value: after.requests - before.requests, unit: 'requests' },
    ];
  } finally {
    await daemon.stop();
  }
}

async function fileDevicesIdle(cli: string): Promise<BenchFigure[]> {
  const name = `idle, ${DEVICES} file devices, ${PROFILES} file profiles, over ${WINDOW_MS / 1000} s`;
  const agent = await startFakeAgent();
  const space = workspace();
  try {
    writeConfig(space, agent.url);
    for (let index = 0; index < PROFILES; index++) {
      // the first DEVICES profiles match one device each; the others name paths that are absent
      const profile = deviceProfile(space, { name: `profile-${index}`, prefix: `device-${index}` });
      // a literal path rather than the helper's glob: one profile, one device
      writeFileSync(path.join(space.profiles, `profile-${index}.yaml`), profile.replace('*"', '"'));
      if (index < DEVICES) writeFileSync(path.join(space.dev, `device-${index}`), '');
    }
    const args = ['--profiles', space.profiles, '--config', space.config, '--state', space.state, '--port', '0'];
    return await measureIdle(name, cli, args, agent);
  } finally {
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

async function usbDevicesIdle(cli: string): Promise<BenchFigure[]> {
  const name = `idle, hotplug mode (libusb), ${DEVICES} USB devices, ${PROFILES} profiles, over ${WINDOW_MS / 1000} s`;
  const reason = umockdevAvailable();
  if (reason) return [{ name, value: Number.NaN, unit: 'ms', skipped: `umockdev is not available: ${reason}` }];
  const testbed = await startTestbed();
  const agent = await startFakeAgent();
  const space = usbWorkspace(agent, { mode: 'libusb' });
  try {
    for (let index = 0; index < DEVICES; index++) await testbed.addUsbDevice(device(index));
    for (let index = 0; index < PROFILES; index++) {
      // the first DEVICES profiles match one device each; the others ids no device has
      const ids =
        index < DEVICES
          ? { vendorId: 'c0de', productId: hex4(0x100 + index) }
          : { vendorId: 'c1de', productId: hex4(index) };
      writeFileSync(path.join(space.profiles, `profile-${index}.yaml`), usbProfile(`profile-${index}`, ids));
    }
    const args = ['--profiles', space.profiles, '--config', space.config, '--state', space.state, '--port', '0'];
    return await measureIdle(name, cli, args, agent, testbed.env());
  } finally {
    await agent.close();
    await testbed.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

export async function run(cli: string): Promise<BenchFigure[]> {
  return [...(await fileDevicesIdle(cli)), ...(await usbDevicesIdle(cli))];
}
