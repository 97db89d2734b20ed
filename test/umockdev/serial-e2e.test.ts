/*
 * The engine under a umockdev testbed with simulated USB-serial adapters, probing their ttys and
 * registering what it recognises with a fake NuvlaBox agent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor, workspace, writeConfig, startEngine, type EngineProcess } from '../daemon/engine-process.js';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { startTestbed, umockdevAvailable, type Testbed, type TtyResponder } from './testbed.js';
import { documentOf, held, peripheralRequests } from './usb-helpers.js';

const skip = umockdevAvailable();

const NMEA = '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n';
const GPS: TtyResponder = { stream: { text: NMEA, intervalMs: 100 } };
const MODEM: TtyResponder = { replies: [{ match: 'AT\\r', text: 'AT\r\r\nOK\r\n' }] };

/** Two profiles for the same generic CP2102 id, told apart only by what the device says. */
const PROFILES = {
  'gps-on-cp2102': `name: gps-on-cp2102
detect:
  usb: { vendorId: "10c4", productId: "ea60" }
  serial:
    path: /dev/ttyUSB*
    probe: { baudRate: 9600, expect: "(?:^|\\\\n)\\\\$G[PN](RMC|GGA),", timeoutMs: 1500 }
map:
  name: { cat: ["GPS ", { var: probe.groups.0 }] }
  available: true
  classes: [gps]
  interface: Serial
  serial-number: { var: usb.serialNumber }
  device-path: { var: serial.path }
notify: [{ backend: nuvlabox }]
`,
  'modem-on-cp2102': `name: modem-on-cp2102
detect:
  usb: { vendorId: "10c4", productId: "ea60" }
  serial:
    path: /dev/ttyUSB*
    probe: { baudRate: 115200, write: "AT\\r", expect: "\\\\r\\\\nOK\\\\r\\\\n", timeoutMs: 800 }
map:
  name: AT modem
  available: true
  classes: [modem]
  interface: Serial
  serial-number: { var: usb.serialNumber }
  device-path: { var: serial.path }
notify: [{ backend: nuvlabox }]
`,
  // Matches the same adapters as USB devices: the ttys' profiles claim them, so it never registers them.
  'any-cp2102': `name: any-cp2102
detect:
  usb: { vendorId: "10c4", productId: "ea60", product: "CP2102*" }
map: { available: true, classes: [usb-serial] }
notify: [{ backend: nuvlabox }]
`,
};

interface Rig {
  testbed: Testbed;
  agent: FakeAgent;
  engine: () => EngineProcess;
  start(): Promise<void>;
  adapter(port: string, serial: string, tty: string, responder?: TtyResponder): Promise<string>;
}

async function withRig(serialSettings: string, body: (rig: Rig) => Promise<void>): Promise<void> {
  const testbed = await startTestbed();
  const agent = await startFakeAgent();
  const space = workspace();
  writeConfig(space, agent.url, `sources: { usb: { mode: inotify }, serial: { ${serialSettings} } }\n`);
  for (const [name, text] of Object.entries(PROFILES)) writeFileSync(path.join(space.profiles, `${name}.yaml`), text);
  let engine: EngineProcess | undefined;
  try {
    await body({
      testbed,
      agent,
      engine: () => engine!,
      async start() {
        engine = await startEngine(space, [], testbed.env());
      },
      async adapter(port, serial, tty, responder) {
        const usb = await testbed.addUsbDevice({
          port,
          vendorId: '10c4',
          productId: 'ea60',
          manufacturer: 'Silicon Labs',
          product: 'CP2102 USB to UART Bridge Controller',
          serial,
          interfaces: [{ class: 0xff, driver: 'cp210x' }],
        });
        await testbed.addTty({
          name: tty,
          usb: usb.path,
          driver: 'cp210x',
          byId: `usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_${serial}-if00-port0`,
          ...(responder ? { responder } : {}),
        });
        return usb.path;
      },
    });
    if (engine) assert.equal(await engine.stop(), 0, 'the engine stops cleanly');
  } finally {
    if (engine) await engine.kill().catch(() => undefined);
    await agent.close();
    await testbed.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

describe('engine with simulated USB-serial adapters', () => {
  test(
    'two adapters with the same id, a GPS and a modem, are told apart by probing; each registered once',
    { skip },
    () =>
      withRig('busyRetryMs: 300', async ({ testbed, agent, engine, start, adapter }) => {
        await adapter('1-1', 'GPS0001', 'ttyUSB0', GPS);
        await adapter('1-2', 'MDM0002', 'ttyUSB1', MODEM);
        await start();
        await waitFor('both registered', () => held(agent).length === 2, 15_000);
        assert.deepEqual(held(agent), ['10c4:ea60:GPS0001:if0', '10c4:ea60:MDM0002:if0']);
        assert.deepEqual(documentOf(agent, '10c4:ea60:GPS0001:if0'), {
          identifier: '10c4:ea60:GPS0001:if0',
          name: 'GPS RMC',
          available: true,
          classes: ['gps'],
          interface: 'Serial',
          'serial-number': 'GPS0001',
          'device-path': '/dev/ttyUSB0',
        });
        assert.equal(documentOf(agent, '10c4:ea60:MDM0002:if0')!.name, 'AT modem');
        // The modem got the AT of its own profile only after the GPS profile had listened in vain.
        assert.equal((await testbed.ttyReceived('ttyUSB1')).toString('latin1'), 'AT\r');
        assert.equal(
          (await testbed.ttyReceived('ttyUSB0')).length,
          0,
          'the GPS matched by listening: nothing written to it',
        );
        const { body } = await engine().get('/devices');
        const devices = body as {
          key: string;
          profile: string | null;
          candidates: { profile: string; reason?: string }[];
          probes?: { profile: string; state: string }[];
        }[];
        const modem = devices.find((device) => device.key === 'serial:1-2:if00')!;
        assert.equal(modem.profile, 'modem-on-cp2102');
        assert.deepEqual(modem.probes!.map((probe) => `${probe.profile} ${probe.state}`).sort(), [
          'gps-on-cp2102 no-match',
          'modem-on-cp2102 matched',
        ]);
        const usbSide = devices.find((device) => device.key === 'usb:1-2')!;
        assert.equal(usbSide.profile, null);
        assert.match(
          usbSide.candidates.find((candidate) => candidate.profile === 'any-cp2102')!.reason!,
          /claimed by profile modem-on-cp2102 through \/dev\/ttyUSB1/,
        );
        await sleep(500);
        assert.equal(peripheralRequests(agent, 'POST').length, 2, 'no other registration, no duplicate');

        // Restarted with both still there: the probe results were kept, nothing is probed or sent again.
        assert.equal(await engine().stop(), 0);
        const before = peripheralRequests(agent).length;
        await start();
        await sleep(2500);
        assert.deepEqual(
          peripheralRequests(agent)
            .slice(before)
            .map((request) => request.method),
          [],
        );
        assert.equal(
          (await testbed.ttyReceived('ttyUSB1')).toString('latin1'),
          'AT\r',
          'the modem was not probed again',
        );
        assert.deepEqual(held(agent), ['10c4:ea60:GPS0001:if0', '10c4:ea60:MDM0002:if0']);
      }),
  );

  test(
    'hotplug: an adapter plugged in is probed and registered, unplugged deregistered; a silent one is left alone',
    { skip },
    () =>
      withRig('busyRetryMs: 300', async ({ testbed, agent, start, adapter }) => {
        await start();
        await sleep(200);
        const gps = await adapter('1-3', 'GPS0003', 'ttyUSB3', GPS);
        await adapter('1-4', 'SIL0004', 'ttyUSB4');
        await waitFor('the GPS registered', () => held(agent).includes('10c4:ea60:GPS0003:if0'), 15_000);
        await sleep(2500); // the silent one has had its two probes by now (1.5 s + 0.8 s)
        assert.deepEqual(held(agent), ['10c4:ea60:GPS0003:if0']);
        await testbed.remove(gps);
        await waitFor('the GPS deregistered', () => held(agent).length === 0, 10_000);
        assert.deepEqual(
          peripheralRequests(agent).map((request) => request.method),
          ['POST', 'DELETE'],
        );
      }),
  );

  test('a port held by another program is skipped and reported, then probed once it is free', { skip }, () =>
    withRig('busyRetryMs: 400', async ({ testbed, agent, engine, start, adapter }) => {
      await adapter('1-5', 'GPS0005', 'ttyUSB5', GPS);
      const holder = spawn(
        'flock',
        ['--exclusive', '--no-fork', readlinkSync(path.join(testbed.root, 'dev', 'ttyUSB5')), 'sleep', '30'],
        { stdio: 'ignore' },
      );
      try {
        await sleep(200);
        await start();
        await waitFor(
          'the busy port reported',
          () => engine().logs.some((line) => line.msg === 'serial port busy: skipped, will try again'),
          10_000,
        );
        assert.deepEqual(held(agent), []);
      } finally {
        holder.kill('SIGKILL');
      }
      await waitFor('registered once the port is free', () => held(agent).includes('10c4:ea60:GPS0005:if0'), 10_000);
    }),
  );
});
