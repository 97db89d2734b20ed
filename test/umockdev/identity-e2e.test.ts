/*
 * Identifier candidates end to end: the engine under a umockdev testbed registering HubZ-like
 * dual-radio USB sticks (two ttys each, no serial number) with a fake NuvlaBox agent, whose
 * profile lists the serial number, then the port, as identifier candidates.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startEngine, waitFor, workspace, writeConfig, type EngineProcess } from '../daemon/engine-process.js';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { startTestbed, umockdevAvailable, type Testbed } from './testbed.js';
import { documentOf, held, peripheralRequests, requestIdentifier } from './usb-helpers.js';

const skip = umockdevAvailable();

/** The serial number (and radio) when there is one, else the port: identical sticks stay apart. */
const HUBZ_PROFILE = `name: hubz
detect:
  usb: { vendorId: "10c4", productId: "8a2a" }
  serial: { path: "/dev/ttyUSB*" }
map:
  identifier:
    - { cat: ["hubz:", { var: usb.serialNumber }, ":if", { var: serial.interfaceNumber }] }
    - { cat: ["hubz@", { var: usb.portPath }, ":if", { var: serial.interfaceNumber }] }
  name: { if: [{ "==": [{ var: serial.interfaceNumber }, 0] }, "HubZ Z-Wave", "HubZ Zigbee"] }
  available: true
  classes: [radio]
  interface: USB
  device-path: { var: serial.path }
notify: [{ backend: nuvlabox }]
`;

interface Rig {
  testbed: Testbed;
  agent: FakeAgent;
  engine: () => EngineProcess;
  start(): Promise<void>;
  /** Plugs a stick in at `port` with ttys `ttyUSB<first>` (Z-Wave) and `ttyUSB<first + 1>` (Zigbee). */
  stick(port: string, first: number, serial?: string): Promise<string>;
}

async function withRig(body: (rig: Rig) => Promise<void>): Promise<void> {
  const testbed = await startTestbed();
  const agent = await startFakeAgent();
  const space = workspace();
  writeConfig(space, agent.url, 'sources: { usb: { mode: inotify } }\n');
  writeFileSync(path.join(space.profiles, 'hubz.yaml'), HUBZ_PROFILE);
  let engine: EngineProcess | undefined;
  try {
    await body({
      testbed,
      agent,
      engine: () => engine!,
      async start() {
        engine = await startEngine(space, [], testbed.env());
      },
      async stick(port, first, serial) {
        const usb = await testbed.addUsbDevice({
          port,
          vendorId: '10c4',
          productId: '8a2a',
          manufacturer: 'Silicon Labs',
          product: 'HubZ Smart Home Controller',
          ...(serial ? { serial } : {}),
          interfaces: [
            { class: 0xff, driver: 'cp210x' },
            { class: 0xff, driver: 'cp210x' },
          ],
        });
        for (const radio of [0, 1])
          await testbed.addTty({ name: `ttyUSB${first + radio}`, usb: usb.path, interface: radio, driver: 'cp210x' });
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

/** No identifier was POSTed again while the agent held it: nothing registered twice. */
function assertNeverRegisteredTwice(agent: FakeAgent): void {
  const holding = new Set<string>();
  for (const request of peripheralRequests(agent)) {
    const identifier = requestIdentifier(request)!;
    if (request.method === 'POST') {
      assert.ok(!holding.has(identifier), `${identifier} registered twice`);
      holding.add(identifier);
    } else if (request.method === 'DELETE') holding.delete(identifier);
  }
}

interface DeviceStatusView {
  key: string;
  warnings?: string[];
  problems: string[];
}

describe('identifier candidates with simulated USB sticks', () => {
  test('a pair of identical serial-less sticks gives a peripheral per radio, each by its port', { skip }, () =>
    withRig(async ({ testbed, agent, engine, start, stick }) => {
      await stick('1-1', 0);
      const second = await stick('1-2', 2);
      await start();
      const byPort = ['hubz@1-1:if0', 'hubz@1-1:if1', 'hubz@1-2:if0', 'hubz@1-2:if1'];
      await waitFor('four peripherals by port', () => held(agent).join() === byPort.join(), 15_000);
      assert.equal(documentOf(agent, 'hubz@1-2:if1')!['device-path'], '/dev/ttyUSB3');
      assert.equal(documentOf(agent, 'hubz@1-2:if1')!.name, 'HubZ Zigbee');
      assert.equal(peripheralRequests(agent, 'POST').length, 4);
      assertNeverRegisteredTwice(agent);

      // Both are told why they go by their port, naming the other; nothing is a problem.
      const devices = (await engine().get('/devices')).body as DeviceStatusView[];
      const zigbee = devices.find((device) => device.key === 'serial:1-1:if01')!;
      assert.deepEqual(zigbee.problems, []);
      assert.match(
        zigbee.warnings!.join('\n'),
        /devices serial:1-1:if01 and serial:1-2:if01 would share identifier hubz::if1; this one goes by hubz@1-1:if1/,
      );
      assert.ok(
        engine().logs.some(
          (line) =>
            line.msg === 'device identifier' && String(line.warning).includes('serial:1-2:if00 and serial:1-1:if00'),
        ),
        'the log names both',
      );

      // Alone again, the first stick goes by its first candidates (the documented rule).
      await testbed.remove(second);
      await waitFor(
        'the first stick by its first candidates',
        () => held(agent).join() === 'hubz::if0,hubz::if1',
        15_000,
      );
      assertNeverRegisteredTwice(agent);
    }),
  );

  test(
    'a stick with a unique serial number keeps its identifiers on another port: one PUT each at most',
    { skip },
    () =>
      withRig(async ({ testbed, agent, engine, start, stick }) => {
        const moving = await stick('1-3', 4, 'HZ0001');
        await stick('1-4', 6, 'HZ0002');
        await start();
        const identifiers = ['hubz:HZ0001:if0', 'hubz:HZ0001:if1', 'hubz:HZ0002:if0', 'hubz:HZ0002:if1'];
        await waitFor('both sticks registered', () => held(agent).join() === identifiers.join(), 15_000);

        // Moved while the engine was down (a gateway off, a suspend): seen at start-up in one look.
        assert.equal(await engine().stop(), 0);
        const before = peripheralRequests(agent).length;
        await testbed.remove(moving);
        const moved = await stick('1-5', 8, 'HZ0001');
        await start();
        await waitFor(
          'the new tty reported under the same identifier',
          () =>
            documentOf(agent, 'hubz:HZ0001:if0')?.['device-path'] === '/dev/ttyUSB8' &&
            documentOf(agent, 'hubz:HZ0001:if1')?.['device-path'] === '/dev/ttyUSB9',
          15_000,
        );
        assert.deepEqual(held(agent), identifiers);
        const after = peripheralRequests(agent).slice(before);
        assert.deepEqual(
          after.map((request) => `${request.method} ${requestIdentifier(request)}`).sort(),
          ['PUT hubz:HZ0001:if0', 'PUT hubz:HZ0001:if1'],
          'one PUT per identifier of the moved stick, nothing else',
        );

        // Moved while the engine runs: the identifiers stay; no other identifier is ever registered.
        await testbed.remove(moved);
        await stick('1-6', 10, 'HZ0001');
        await waitFor(
          'the stick on its third port',
          () =>
            documentOf(agent, 'hubz:HZ0001:if0')?.['device-path'] === '/dev/ttyUSB10' &&
            documentOf(agent, 'hubz:HZ0001:if1')?.['device-path'] === '/dev/ttyUSB11',
          15_000,
        );
        assert.deepEqual(held(agent), identifiers);
        assert.deepEqual(
          [...new Set(peripheralRequests(agent).map(requestIdentifier))].sort(),
          identifiers,
          'no identifier by port was ever used',
        );
        assertNeverRegisteredTwice(agent);
      }),
  );
});
