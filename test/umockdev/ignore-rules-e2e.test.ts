/*
 * Ignore rules with the real engine under a umockdev testbed: a UPS on a USB-serial cable that a
 * catch-all and a probing profile would both take is left alone, its port never opened, while
 * the modem beside it is probed and registered with a fake NuvlaBox agent.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { waitFor, workspace, writeConfig, startEngine, type EngineProcess } from '../daemon/engine-process.js';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { startTestbed, umockdevAvailable, type Testbed } from './testbed.js';
import { held, peripheralRequests, requestIdentifier } from './usb-helpers.js';

const skip = umockdevAvailable();

const PROFILES = {
  // Takes every USB device that nothing else takes, with the highest priority there is.
  'every-usb-device': `name: every-usb-device
priority: 1000
detect: { usb: {} }
map: { available: true, classes: [usb] }
notify: [{ backend: nuvlabox }]
`,
  'any-at-modem': `name: any-at-modem
detect:
  serial:
    path: /dev/ttyUSB*
    probe: { baudRate: 115200, write: "AT\\r", expect: "\\\\r\\\\nOK\\\\r\\\\n", timeoutMs: 800 }
map: { name: AT modem, available: true, classes: [modem], interface: Serial, device-path: { var: serial.path } }
notify: [{ backend: nuvlabox }]
`,
};

/** The UPS's PL2303 cable, by its ids: the cable and its tty both. */
const UPS_RULE = `ignore:
  - name: ups-cable
    reason: the UPS on this cable belongs to nut
    detect:
      usb: { vendorId: "067b", productId: "2303" }
`;

const IGNORE_PROFILE = `name: leave-the-ups
description: the UPS on this cable belongs to nut
ignore: true
detect:
  usb: { vendorId: "067b", productId: "2303" }
`;

/** Both answer AT: without a rule, the UPS too would be taken for a modem. */
const ANSWERS_AT = { replies: [{ match: 'AT\\r', text: 'AT\r\r\nOK\r\n' }] };
const MODEM_ID = '10c4:ea60:MDM0002:if0';
const UPS_TTY_ID = '067b:2303:UPS0001:if0';

interface Rig {
  testbed: Testbed;
  agent: FakeAgent;
  profiles: string;
  engine: () => EngineProcess;
  start(): Promise<void>;
}

async function withRig(config: string, body: (rig: Rig) => Promise<void>): Promise<void> {
  const testbed = await startTestbed();
  const agent = await startFakeAgent();
  const space = workspace();
  writeConfig(space, agent.url, `sources: { usb: { mode: inotify }, serial: { busyRetryMs: 300 } }\n${config}`);
  for (const [name, text] of Object.entries(PROFILES)) writeFileSync(path.join(space.profiles, `${name}.yaml`), text);
  let engine: EngineProcess | undefined;
  try {
    const ups = await testbed.addUsbDevice({
      port: '1-1',
      vendorId: '067b',
      productId: '2303',
      manufacturer: 'Prolific Technology Inc.',
      product: 'USB-Serial Controller',
      serial: 'UPS0001',
      interfaces: [{ class: 0xff, driver: 'pl2303' }],
    });
    await testbed.addTty({ name: 'ttyUSB0', usb: ups.path, driver: 'pl2303', modemLines: true, responder: ANSWERS_AT });
    const modem = await testbed.addUsbDevice({
      port: '1-2',
      vendorId: '10c4',
      productId: 'ea60',
      manufacturer: 'Silicon Labs',
      product: 'CP2102 USB to UART Bridge Controller',
      serial: 'MDM0002',
      interfaces: [{ class: 0xff, driver: 'cp210x' }],
    });
    await testbed.addTty({ name: 'ttyUSB1', usb: modem.path, driver: 'cp210x', responder: ANSWERS_AT });
    await body({
      testbed,
      agent,
      profiles: space.profiles,
      engine: () => engine!,
      async start() {
        engine = await startEngine(space, [], testbed.env());
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

interface DeviceEntry {
  key: string;
  profile: string | null;
  ignored?: { name: string; kind: string; file: string };
  probes?: unknown[];
}

const devices = async (engine: EngineProcess) => (await engine.get('/devices')).body as DeviceEntry[];

describe('ignore rules with simulated USB-serial adapters', () => {
  test(
    'a config ignore rule beats a catch-all and a probing profile: nothing registered, the port never opened',
    { skip },
    () =>
      withRig(UPS_RULE, async ({ testbed, agent, engine, start }) => {
        await start();
        await waitFor('the modem registered', () => held(agent).includes(MODEM_ID), 20_000);
        await waitFor(
          'the UPS and its tty shown as ignored',
          async () => (await devices(engine())).filter((device) => device.ignored?.name === 'ups-cable').length === 2,
          10_000,
        );
        const shown = (await devices(engine())).filter(
          (device) => device.key.endsWith(':1-1') || device.key.startsWith('serial:1-1'),
        );
        assert.deepEqual(
          shown.map((device) => [device.key, device.profile, device.ignored?.kind, device.probes?.length ?? 0]).sort(),
          [
            ['serial:1-1:if00', null, 'config-rule', 0],
            ['usb:1-1', null, 'config-rule', 0],
          ],
        );
        // The modem's probe has run and ended: the prober had its chance at the UPS's port too.
        assert.deepEqual(held(agent), [MODEM_ID]);
        assert.deepEqual((await testbed.ttyLines('ttyUSB0')).history, [], 'the ignored port was never opened');
        assert.equal((await testbed.ttyReceived('ttyUSB0')).length, 0);
        assert.equal((await testbed.ttyReceived('ttyUSB1')).toString('latin1'), 'AT\r');
        assert.ok(
          !engine().logs.some((line) => line.path === '/dev/ttyUSB0' && String(line.msg).startsWith('serial probe')),
        );
      }),
  );

  test(
    'an ignore profile added while the engine runs deletes what was registered for the device, and touches nothing else',
    { skip },
    () =>
      withRig('', async ({ agent, profiles, engine, start }) => {
        await start();
        // Without a rule the UPS is taken for a modem: the rule is what keeps it out below.
        await waitFor('both registered', () => held(agent).length === 2, 20_000);
        assert.deepEqual(held(agent), [UPS_TTY_ID, MODEM_ID].sort());
        const before = peripheralRequests(agent).length;
        writeFileSync(path.join(profiles, 'leave-the-ups.yaml'), IGNORE_PROFILE);
        await waitFor('the UPS deleted', () => !held(agent).includes(UPS_TTY_ID), 20_000);
        await waitFor(
          'the UPS shown as ignored by the profile',
          async () =>
            (await devices(engine())).some(
              (device) => device.key === 'usb:1-1' && device.ignored?.name === 'leave-the-ups',
            ),
          10_000,
        );
        assert.deepEqual(held(agent), [MODEM_ID]);
        assert.deepEqual(
          peripheralRequests(agent)
            .slice(before)
            .map((request) => `${request.method} ${requestIdentifier(request)}`),
          [`DELETE ${UPS_TTY_ID}`],
          'one DELETE for the UPS; nothing for the modem, nothing for the UPS as a plain USB device',
        );
      }),
  );
});
