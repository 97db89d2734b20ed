// CPU time the idle daemon uses in hotplug mode (USB source mode libusb) with 10 USB devices
// present and 100 profiles loaded, under a umockdev testbed (see test/umockdev/README.md). In
// this mode nothing should run periodically: libusb waits on its uevent socket, so the figure
// should stay near zero.
//
// How: 10 devices (on ports 1-1 to 1-10 of one bus) are in the testbed before the engine starts; 100
// profiles are loaded, 10 matching one device each (notifying a `nuvlabox` backend at a fake
// agent on 127.0.0.1) and 90 matching nothing present. Once the 10 registrations have arrived
// and SETTLE_MS have passed, utime + stime of the daemon process (all its threads: /proc/<pid>/stat
// fields 14 and 15, in clock ticks) and the context switches of all its threads (the sum of
// voluntary and involuntary switches in /proc/<pid>/task/*/status, a count of wake-ups; also
// apart for node-usb's libusb event thread) are read, again after WINDOW_MS of idling, and the
// differences reported. Ticks are usually 10 ms,
// so the CPU figure's resolution is 10 ms per 60 s.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../test/daemon/engine-process.js';
import { startFakeAgent } from '../test/fakes/fake-nuvlabox-agent.js';
import { startTestbed, umockdevAvailable, type UsbDeviceSpec } from '../test/umockdev/testbed.js';
import { usbProfile, usbWorkspace } from '../test/umockdev/usb-helpers.js';
import type { BenchFigure } from './bench-figure.js';
import { startDaemon } from './engine-daemon.js';

const WINDOW_MS = 60_000;
const SETTLE_MS = 3_000;
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

/** utime + stime of the whole process, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3, the state.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Voluntary + involuntary context switches of every thread of the process, and of node-usb's libusb event thread. */
function contextSwitches(pid: number): { total: number; libusb: number; threads: number } {
  let total = 0;
  let libusb = 0;
  const tasks = readdirSync(`/proc/${pid}/task`);
  for (const task of tasks) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      let switches = 0;
      for (const match of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) switches += Number(match[1]);
      total += switches;
      if (/^Name:\s+node-usb/m.test(status)) libusb += switches;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return { total, libusb, threads: tasks.length };
}

function clockTicksPerSecond(): number {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(result.stdout?.trim());
  return Number.isInteger(value) && value > 0 ? value : 100;
}

export async function run(cli: string): Promise<BenchFigure[]> {
  const name = `idle cpu, hotplug mode (libusb), ${DEVICES} USB devices, ${PROFILES} profiles, over ${WINDOW_MS / 1000} s`;
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
    const daemon = await startDaemon(
      cli,
      ['--profiles', space.profiles, '--config', space.config, '--state', space.state, '--port', '0'],
      testbed.env(),
    );
    try {
      const ready = daemon.logs.find((line) => line.msg === 'engine ready');
      if (ready?.profiles !== PROFILES)
        throw new Error(`expected ${PROFILES} profiles loaded, the engine says ${String(ready?.profiles)}`);
      await waitFor('the registrations', () => agent.peripherals.size === DEVICES, 30_000);
      await sleep(SETTLE_MS);
      const hz = clockTicksPerSecond();
      const before = {
        ticks: cpuTicks(daemon.pid),
        switches: contextSwitches(daemon.pid),
        requests: agent.requests.length,
        at: performance.now(),
      };
      await sleep(WINDOW_MS);
      const after = {
        ticks: cpuTicks(daemon.pid),
        switches: contextSwitches(daemon.pid),
        requests: agent.requests.length,
        at: performance.now(),
      };
      const seconds = (after.at - before.at) / 1000;
      const cpuMs = ((after.ticks - before.ticks) * 1000) / hz;
      return [
        { name: `${name}: CPU time (utime+stime)`, value: cpuMs, unit: 'ms' },
        { name: `${name}: CPU share of one core`, value: (cpuMs / (seconds * 1000)) * 100, unit: '%' },
        {
          name: `${name}: context switches, all ${after.switches.threads} threads`,
          value: (after.switches.total - before.switches.total) / seconds,
          unit: '/s',
        },
        {
          name: `${name}: of which node-usb's libusb event thread`,
          value: (after.switches.libusb - before.switches.libusb) / seconds,
          unit: '/s',
        },
        {
          name: `${name}: requests to the agent while idle`,
          value: after.requests - before.requests,
          unit: 'requests',
        },
      ];
    } finally {
      await daemon.stop();
    }
  } finally {
    await agent.close();
    await testbed.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}
