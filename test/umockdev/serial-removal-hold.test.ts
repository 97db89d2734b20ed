/*
 * Removal grace (`holdMs`) for a probed serial device under a umockdev testbed: a USB-serial GPS
 * that resets (its USB device and tty go and come back) is probed again when it is back; while the
 * probe runs and after it, nothing is sent, because its registration was held, not withdrawn.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startEngine, waitFor, workspace, writeConfig, type EngineProcess } from '../daemon/engine-process.js';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import type { DeviceStatus } from '../../engine/server/status-data.js';
import { startTestbed, umockdevAvailable, type Testbed } from './testbed.js';
import { peripheralRequests } from './usb-helpers.js';

const skip = umockdevAvailable();
const IDENTIFIER = '10c4:ea60:GPS0007:if0';
const NMEA = '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n';

const PROFILE = `name: gps-on-cp2102
detect:
  usb: { vendorId: "10c4", productId: "ea60" }
  serial:
    path: /dev/ttyUSB*
    probe: { baudRate: 9600, expect: "(?:^|\\\\n)\\\\$G[PN](RMC|GGA),", timeoutMs: 1500 }
map:
  name: GPS
  available: true
  classes: [gps]
  interface: Serial
  serial-number: { var: usb.serialNumber }
notify: [{ backend: nuvlabox }]
`;

/**
 * The adapter in port 1-3 with its GPS speaking NMEA on `tty`; resolves with the USB device's
 * sysfs path. (umockdev cannot make a node of a name it made before, so the tty of a replug has
 * another name, as the kernel gives when the old one is still held open; the profile maps no
 * tty path, so the payload stays the same.)
 */
async function plugAdapter(testbed: Testbed, tty: string): Promise<string> {
  const usb = await testbed.addUsbDevice({
    port: '1-3',
    vendorId: '10c4',
    productId: 'ea60',
    manufacturer: 'Silicon Labs',
    product: 'CP2102 USB to UART Bridge Controller',
    serial: 'GPS0007',
    interfaces: [{ class: 0xff, driver: 'cp210x' }],
  });
  await testbed.addTty({
    name: tty,
    usb: usb.path,
    driver: 'cp210x',
    byId: 'usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_GPS0007-if00-port0',
    responder: { stream: { text: NMEA, intervalMs: 100 } },
  });
  return usb.path;
}

const serialDevice = async (engine: EngineProcess): Promise<DeviceStatus | undefined> =>
  ((await engine.get('/devices')).body as DeviceStatus[]).find((device) => device.source === 'serial');

describe('removal grace (holdMs) for a probed serial device', () => {
  test(
    "a USB-serial GPS that resets within the serial source's hold is probed again, and nothing is sent",
    { skip },
    async () => {
      const testbed = await startTestbed();
      const agent = await startFakeAgent();
      const space = workspace();
      // The serial source's hold from the config (no profile holdMs), long enough that no test waits it out.
      writeConfig(space, agent.url, 'sources: { usb: { mode: inotify }, serial: { holdMs: 600000 } }\n');
      writeFileSync(path.join(space.profiles, 'gps.yaml'), PROFILE);
      let engine: EngineProcess | undefined;
      try {
        const adapter = await plugAdapter(testbed, 'ttyUSB0');
        engine = await startEngine(space, [], testbed.env());
        const running = engine;
        await waitFor('the GPS registered', () => agent.peripherals.has(IDENTIFIER), 15_000);

        await testbed.remove(adapter);
        await waitFor(
          'the GPS shown leaving',
          async () => (await serialDevice(running))?.leaving !== undefined,
          15_000,
        );
        assert.equal((await serialDevice(running))!.profile, 'gps-on-cp2102');

        await plugAdapter(testbed, 'ttyUSB1');
        await waitFor(
          'the GPS probed again and present',
          async () => {
            const device = await serialDevice(running);
            return device?.present === undefined && device?.profile === 'gps-on-cp2102';
          },
          15_000,
        );
        await waitFor('its delivery acknowledged', async () =>
          (await serialDevice(running))!.deliveries.every((delivery) => delivery.state === 'acknowledged'),
        );
        assert.deepEqual(
          peripheralRequests(agent).map((request) => `${request.method} ${request.status}`),
          ['POST 201'],
        );
        assert.equal(await engine.stop(), 0, 'the engine stops cleanly');
      } finally {
        if (engine) await engine.kill().catch(() => undefined);
        await agent.close();
        await testbed.close();
        rmSync(space.root, { recursive: true, force: true });
      }
    },
  );
});
