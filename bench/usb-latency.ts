// USB source: how long from a device being plugged in (or unplugged) to the backend receiving
// the request, under a umockdev testbed (simulated sysfs, /dev/bus/usb and uevents; see
// test/umockdev/README.md), in hotplug mode (libusb, uevents on) and in the inotify fallback
// (no uevents at all, as in a container without the host network).
//
// How: the engine runs under the testbed with one profile notifying a `nuvlabox` backend at a
// fake agent on 127.0.0.1, which logs each request with `Date.now()` on arrival. For each of
// PLUGS distinct serial numbers the benchmark plugs a device into port 1-2 the way the kernel
// presents one (test/umockdev/usb-helpers.ts `plug`: the sysfs tree is written first, unseen,
// then the /dev/bus/usb node is renamed into place, then, in hotplug mode, the `add` uevent goes
// out), waits for the POST, pauses SETTLE_MS, unplugs it (`unplug`: in hotplug mode the
// interfaces go quietly, then the device with its `remove` uevent; in the fallback the tree
// goes and the node last), waits for the DELETE, pauses again. Latency = arrival − `Date.now()`
// just before the announcing step (the uevent command to ctl.py, whose round trip of ~1 ms is
// included; or the node's rename), at 1 ms resolution. The engine's source debounces events by
// 30 ms, which is part of what is measured. The first WARMUP plugs are not counted. The engine
// runs at --log-level debug, so its `device event` lines split the latency into detection and
// delivery. A USB device that goes is held 2 s by default before its DELETE (`holdMs`, see
// docs/writing-profiles.md); the benchmark sets `sources.usb.holdMs: 0` to measure the engine's
// own path: with the default hold, unplug → DELETE is the figure here plus 2000 ms.
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeAgent, type FakeAgent, type LoggedRequest } from '../test/fakes/fake-nuvlabox-agent.js';
import { startTestbed, umockdevAvailable, type UsbDeviceSpec } from '../test/umockdev/testbed.js';
import {
  plug,
  requestIdentifier,
  unplug,
  usbProfile,
  usbWorkspace,
  type UsbMode,
} from '../test/umockdev/usb-helpers.js';
import type { BenchFigure } from './bench-figure.js';
import { startDaemon } from './engine-daemon.js';
import { percentile } from './percentile.js';
import { requestArrivals } from './request-arrivals.js';

const PLUGS = 100;
const WARMUP = 5;
const SETTLE_MS = 20;
const EVENT_TIMEOUT_MS = 5_000;
/** Each mode stops early (and says so in the figure names) past this much time. */
const PHASE_BUDGET_MS = 90_000;

const MODES: { label: string; mode: UsbMode; uevents: boolean }[] = [
  { label: 'hotplug (mode libusb, uevents)', mode: 'libusb', uevents: true },
  { label: 'inotify fallback (mode inotify, no uevents)', mode: 'inotify', uevents: false },
];

const DEVICE: UsbDeviceSpec = {
  port: '1-2',
  vendorId: 'c0de',
  productId: 'b001',
  manufacturer: 'Bench Instruments',
  product: 'Latency Probe',
  interfaces: [
    { class: 0x02, subclass: 2, protocol: 1, driver: 'cdc_acm' },
    { class: 0x0a, driver: 'cdc_acm' },
  ],
};

type Operation = 'plug' | 'unplug';
interface Sample {
  op: Operation;
  startedAt: number;
  arrivedAt: number;
}

function isRequestFor(request: LoggedRequest, op: Operation, identifier: string): boolean {
  const method = op === 'plug' ? 'POST' : 'DELETE';
  return request.method === method && request.status > 0 && requestIdentifier(request) === identifier;
}

async function measureMode(cli: string, agent: FakeAgent, mode: UsbMode, uevents: boolean) {
  const testbed = await startTestbed();
  const space = usbWorkspace(
    agent,
    { mode, holdMs: 0 },
    {
      probe: usbProfile('latency-probe', {
        vendorId: DEVICE.vendorId as string,
        productId: DEVICE.productId as string,
      }),
    },
  );
  try {
    await testbed.addUsbDevice({ port: '1-1', vendorId: '1d50', productId: '6089' }); // the bus exists at start-up
    const daemon = await startDaemon(
      cli,
      [
        '--profiles',
        space.profiles,
        '--config',
        space.config,
        '--state',
        space.state,
        '--port',
        '0',
        '--log-level',
        'debug',
      ],
      testbed.env(),
    );
    const samples: Sample[] = [];
    let missed = 0;
    const arrival = requestArrivals(agent, EVENT_TIMEOUT_MS);
    try {
      await sleep(200); // the source's start-up enumeration
      const phaseEnds = Date.now() + PHASE_BUDGET_MS;
      let done = 0;
      for (let index = 0; index < WARMUP + PLUGS && Date.now() < phaseEnds; index++) {
        const serial = `LAT${String(index).padStart(4, '0')}`;
        const identifier = `c0de:b001:${serial}`;
        const device = await plug(testbed, { ...DEVICE, serial }, { uevents });
        const plugged = await arrival((request) => isRequestFor(request, 'plug', identifier));
        await sleep(SETTLE_MS);
        const unpluggedAt = await unplug(testbed, device, { uevents });
        const unplugged = await arrival((request) => isRequestFor(request, 'unplug', identifier));
        await sleep(SETTLE_MS);
        if (index < WARMUP) continue;
        done++;
        for (const [op, startedAt, arrivedAt] of [
          ['plug', device.announcedAt, plugged],
          ['unplug', unpluggedAt, unplugged],
        ] as const) {
          if (arrivedAt === undefined) missed++;
          else samples.push({ op, startedAt, arrivedAt });
        }
      }
      // Detection: to the engine's `device event` line for usb:1-2, matched in order.
      const logged = daemon.logs.filter(
        (line) => line.msg === 'device event' && line.key === 'usb:1-2' && typeof line.time === 'string',
      );
      const detection: Record<Operation, number[]> = { plug: [], unplug: [] };
      for (const sample of samples) {
        const action = sample.op === 'plug' ? 'add' : 'remove';
        const line = logged.find(
          (item) =>
            item.action === action &&
            Date.parse(item.time as string) >= sample.startedAt &&
            Date.parse(item.time as string) <= sample.arrivedAt,
        );
        if (line) detection[sample.op].push(Date.parse(line.time as string) - sample.startedAt);
      }
      return { samples, missed, done, detection };
    } finally {
      await daemon.stop();
    }
  } finally {
    await testbed.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

export async function run(cli: string): Promise<BenchFigure[]> {
  const reason = umockdevAvailable();
  if (reason)
    return MODES.map(({ label }) => ({
      name: `usb latency, ${label}`,
      value: Number.NaN,
      unit: 'ms',
      skipped: `umockdev is not available: ${reason}`,
    }));
  const figures: BenchFigure[] = [];
  for (const { label, mode, uevents } of MODES) {
    const agent = await startFakeAgent();
    try {
      const { samples, missed, done, detection } = await measureMode(cli, agent, mode, uevents);
      const what = `usb latency, ${label}`;
      if (done < PLUGS)
        figures.push({
          name: `${what}: plugs done within ${PHASE_BUDGET_MS / 1000} s (of ${PLUGS})`,
          value: done,
          unit: 'plugs',
        });
      for (const op of ['plug', 'unplug'] as const) {
        const latencies = samples
          .filter((sample) => sample.op === op)
          .map((sample) => sample.arrivedAt - sample.startedAt);
        const step = op === 'plug' ? 'plug → POST' : 'unplug → DELETE';
        for (const fraction of [0.5, 0.99])
          figures.push({
            name: `${what}: ${step}, p${fraction * 100} of ${latencies.length}`,
            value: percentile(latencies, fraction),
            unit: 'ms',
          });
        figures.push({
          name: `${what}: ${step}, of which detection (→ \`device event\` logged), p50`,
          value: percentile(detection[op], 0.5),
          unit: 'ms',
        });
      }
      if (missed > 0)
        figures.push({
          name: `${what}: changes with no request within ${EVENT_TIMEOUT_MS} ms`,
          value: missed,
          unit: 'events',
        });
    } finally {
      await agent.close();
    }
  }
  return figures;
}
