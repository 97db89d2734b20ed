/*
 * The shipped profiles (profiles/) against simulated devices that speak the real protocols: a
 * Modbus RTU slave, NMEA GPS receivers, a Quectel modem, an Aeotec Z-Wave stick and an Arduino
 * printing its banner. The engine runs unmodified under umockdev and registers with a fake agent.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEngine, waitFor, workspace, writeConfig, type EngineProcess } from '../daemon/engine-process.js';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { ROOT } from '../paths.js';
import { startTestbed, umockdevAvailable, type Testbed, type TtySpec, type UsbDeviceSpec } from './testbed.js';
import { peripheralRequests } from './usb-helpers.js';

const skip = umockdevAvailable();

const NMEA =
  '$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74\r\n$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n';

interface Simulated {
  usb: UsbDeviceSpec;
  tty: Omit<TtySpec, 'usb'>;
}

const DEVICES: Record<string, Simulated> = {
  modbus: {
    usb: {
      port: '1-1',
      vendorId: '1a86',
      productId: '7523',
      product: 'USB Serial',
      interfaces: [{ class: 0xff, driver: 'ch341' }],
    },
    // Slave 1 answers "read holding register 0" with 0x002a and the frame's CRC.
    tty: {
      name: 'ttyUSB0',
      driver: 'ch341',
      responder: { replies: [{ match: '\\x01\\x03\\x00\\x00\\x00\\x01\\x84\\x0a', hex: '01 03 02 00 2a 39 9b' }] },
    },
  },
  nmea: {
    usb: {
      port: '1-2',
      vendorId: '10c4',
      productId: 'ea60',
      manufacturer: 'Silicon Labs',
      product: 'CP2102 USB to UART Bridge Controller',
      serial: '0001',
      interfaces: [{ class: 0xff, driver: 'cp210x' }],
    },
    tty: {
      name: 'ttyUSB1',
      driver: 'cp210x',
      byId: 'usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0',
      responder: { stream: { text: NMEA, intervalMs: 200 } },
    },
  },
  modem: {
    usb: {
      port: '1-3',
      vendorId: '2c7c',
      productId: '0125',
      manufacturer: 'Quectel',
      product: 'EG25-G',
      interfaces: [0, 1, 2, 3].map((number) => ({ number, class: 0xff, driver: 'option' })),
    },
    tty: {
      name: 'ttyUSB2',
      interface: 2,
      driver: 'option',
      responder: {
        replies: [
          { match: 'ATI\\r', text: 'ATI\r\r\nQuectel\r\nEG25\r\nRevision: EG25GGBR07A08M2G\r\n\r\nOK\r\n' },
          { match: 'AT\\r', text: 'AT\r\r\nOK\r\n' },
        ],
      },
    },
  },
  zwave: {
    usb: {
      port: '1-4',
      vendorId: '0658',
      productId: '0200',
      interfaces: [
        { class: 2, subclass: 2, protocol: 1, driver: 'cdc_acm' },
        { number: 1, class: 0x0a, driver: 'cdc_acm' },
      ],
    },
    // ACK, then the FUNC_ID_ZW_GET_VERSION response frame ("Z-Wave 4.54", library type 1).
    tty: {
      name: 'ttyACM0',
      responder: {
        replies: [
          { match: '\\x01\\x03\\x00\\x15\\xe9', hex: '06 01 11 01 15 5a 2d 57 61 76 65 20 34 2e 35 34 00 01 92' },
        ],
      },
    },
  },
  arduino: {
    usb: {
      port: '1-5',
      vendorId: '2341',
      productId: '0043',
      manufacturer: 'Arduino (www.arduino.cc)',
      serial: '75833353035351F0E1C1',
      interfaces: [
        { class: 2, subclass: 2, protocol: 1, driver: 'cdc_acm' },
        { number: 1, class: 0x0a, driver: 'cdc_acm' },
      ],
    },
    tty: { name: 'ttyACM1', responder: { stream: { text: 'weather-station v1.4\r\n', intervalMs: 300 } } },
  },
  // A CP2102 too, but recognised by its product string: the generic NMEA and Modbus profiles
  // (which also take 10c4:ea60) rank below it and never probe it.
  sonoff: {
    usb: {
      port: '1-7',
      vendorId: '10c4',
      productId: 'ea60',
      manufacturer: 'ITead',
      product: 'Sonoff Zigbee 3.0 USB Dongle Plus',
      serial: 'a8e7d2c1b0',
      interfaces: [{ class: 0xff, driver: 'cp210x' }],
    },
    tty: { name: 'ttyUSB7', driver: 'cp210x', responder: { replies: [{ match: '[\\s\\S]', text: '?' }] } },
  },
  ublox: {
    usb: {
      port: '1-6',
      vendorId: '1546',
      productId: '01a7',
      manufacturer: 'u-blox AG - www.u-blox.com',
      product: 'u-blox 7 - GPS/GNSS Receiver',
      interfaces: [
        { class: 2, subclass: 2, protocol: 1, driver: 'cdc_acm' },
        { number: 1, class: 0x0a, driver: 'cdc_acm' },
      ],
    },
    tty: { name: 'ttyACM2', responder: { stream: { text: NMEA, intervalMs: 200 } } },
  },
};

async function plugAll(testbed: Testbed): Promise<void> {
  for (const device of Object.values(DEVICES)) {
    const usb = await testbed.addUsbDevice(device.usb);
    await testbed.addTty({ ...device.tty, usb: usb.path });
  }
}

test(
  'the shipped serial profiles recognise simulated devices speaking their protocols',
  { skip, timeout: 90_000 },
  async () => {
    const testbed = await startTestbed();
    const agent = await startFakeAgent();
    const space = workspace();
    writeConfig(space, agent.url);
    let engine: EngineProcess | undefined;
    try {
      await plugAll(testbed);
      engine = await startEngine(space, ['--profiles', path.join(ROOT, 'profiles')], testbed.env());
      await waitFor('seven registrations', () => agent.peripherals.size === 7, 40_000).catch(async (error) => {
        const { body } = await engine!.get('/devices');
        const view = (
          body as { key: string; profile: string | null; candidates: unknown; probes?: unknown; problems: unknown }[]
        ).map(({ key, profile, candidates, probes, problems }) => ({ key, profile, candidates, probes, problems }));
        throw new Error(`${(error as Error).message}; devices: ${JSON.stringify(view, null, 1)}`);
      });
      const names = Object.fromEntries(
        [...agent.peripherals.values()].map((document) => [document['device-path'], document.name]),
      );
      assert.deepEqual(names, {
        '/dev/ttyUSB0': 'Modbus RTU device (slave 1)',
        '/dev/serial/by-id/usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0': 'NMEA GPS receiver',
        '/dev/ttyUSB2': 'Quectel EG25 LTE modem',
        '/dev/ttyACM0': 'Aeotec Z-Stick Gen5',
        '/dev/ttyACM1': 'Arduino sketch weather-station',
        '/dev/ttyACM2': 'u-blox GPS',
        '/dev/ttyUSB7': 'Sonoff Zigbee 3.0 Dongle Plus',
      });
      const modbus = [...agent.peripherals.values()].find((document) => document['device-path'] === '/dev/ttyUSB0')!;
      assert.equal(modbus.description, 'Modbus RTU on /dev/ttyUSB0, holding register 0 = 0x002a');
      // What each device was sent: the GPS receivers nothing, the others their own request only.
      assert.equal((await testbed.ttyReceived('ttyUSB1')).length, 0);
      assert.equal((await testbed.ttyReceived('ttyACM2')).length, 0);
      assert.equal((await testbed.ttyReceived('ttyUSB7')).length, 0, 'the Zigbee dongle was not probed');
      assert.equal((await testbed.ttyReceived('ttyUSB2')).toString('latin1'), 'AT\rATI\r');
      assert.equal((await testbed.ttyReceived('ttyACM0')).toString('hex'), '01030015e9');
      assert.equal((await testbed.ttyReceived('ttyUSB0')).toString('hex'), '010300000001840a');
      await sleep(500);
      assert.equal(peripheralRequests(agent, 'POST').length, 7, 'each device registered once, under one profile');
      assert.equal(await engine.stop(), 0);
    } finally {
      if (engine) await engine.kill().catch(() => undefined);
      await agent.close();
      await testbed.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  },
);
