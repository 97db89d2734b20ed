/*
 * Facts of devices shaped after real recordings (real-devices.ts), through `engine list --json`
 * and through the daemon registering with a fake NuvlaBox agent: interface strings, both drivers
 * of a tty, usb.ids names for a string-less stick, blank strings as null, and a catch-all profile
 * ranked below every specific one.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startEngine, waitFor, workspace, writeConfig, type EngineProcess } from '../daemon/engine-process.js';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { ROOT, runCli } from '../paths.js';
import { plugRealDevices, REAL_DEVICE_PROFILES as PROFILES } from './real-devices.js';
import { startTestbed, umockdevAvailable, type Testbed } from './testbed.js';
import { documentOf, held, type DeviceView } from './usb-helpers.js';

const skip = umockdevAvailable();

interface Listed extends DeviceView {
  facts: { usb?: Record<string, unknown>; serial?: Record<string, unknown> };
}

async function withDevices(body: (testbed: Testbed, profiles: string) => Promise<void>): Promise<void> {
  const testbed = await startTestbed();
  const space = workspace();
  try {
    for (const [name, text] of Object.entries(PROFILES)) writeFileSync(path.join(space.profiles, `${name}.yaml`), text);
    await plugRealDevices(testbed);
    await body(testbed, space.profiles);
  } finally {
    await testbed.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

describe('devices shaped after real recordings', { skip }, () => {
  test('engine list --json: interface strings, both drivers, usb.ids names, blank strings as null, the winners', () =>
    withDevices(async (testbed, profiles) => {
      const listed = runCli(['list', '--json', '--profiles', profiles], { env: testbed.env() });
      assert.equal(listed.status, 0, listed.stderr);
      const devices = new Map((JSON.parse(listed.stdout) as Listed[]).map((device) => [device.key, device]));
      const serial = (key: string) => devices.get(key)!.facts.serial!;
      const usb = (port: string) => devices.get(`usb:${port}`)!.facts.usb!;

      // The HubZ: one tty per interface, told apart by the interface string.
      assert.deepEqual(
        ['serial:1-2:if00', 'serial:1-2:if01'].map((key) => [
          serial(key).interfaceName,
          serial(key).description,
          devices.get(key)!.profile,
        ]),
        [
          ['HubZ Z-Wave Com Port', 'HubZ Smart Home Controller - HubZ Z-Wave Com Port', 'hubz-zwave'],
          ['HubZ ZigBee Com Port', 'HubZ Smart Home Controller - HubZ ZigBee Com Port', 'hubz-zigbee'],
        ],
      );
      assert.deepEqual(
        (usb('1-2').interfaces as { name: string }[]).map((item) => item.name),
        ['HubZ Z-Wave Com Port', 'HubZ ZigBee Com Port'],
      );
      // The CP2105: two ports, each with its own interface string.
      assert.deepEqual(
        ['serial:1-3:if00', 'serial:1-3:if01'].map((key) => serial(key).interfaceName),
        ['Enhanced Com Port', 'Standard Com Port'],
      );
      // The Aeotec stick has no strings: usb.ids names it, the strings stay null.
      assert.deepEqual(
        {
          manufacturer: usb('1-4').manufacturer,
          product: usb('1-4').product,
          serialNumber: usb('1-4').serialNumber,
          vendorName: usb('1-4').vendorName,
          productName: usb('1-4').productName,
        },
        {
          manufacturer: null,
          product: null,
          serialNumber: null,
          vendorName: 'Sigma Designs, Inc.',
          productName: 'Aeotec Z-Stick Gen5 (ZW090) - UZB',
        },
      );
      assert.deepEqual(
        [
          serial('serial:1-4:if00').description,
          serial('serial:1-4:if00').interfaceName,
          devices.get('serial:1-4:if00')!.profile,
        ],
        [null, null, 'aeotec-zstick'],
      );
      // The CH340: the port's driver and the interface's.
      assert.deepEqual(
        [
          serial('serial:1-5:if00').driver,
          serial('serial:1-5:if00').usbDriver,
          devices.get('serial:1-5:if00')!.profile,
        ],
        ['ch341-uart', 'ch341', 'ch34x-by-driver'],
      );
      assert.deepEqual(
        [usb('1-5').manufacturer, usb('1-5').vendorName, usb('1-5').productName],
        [null, 'QinHeng Electronics', 'USB2.0-Serial'],
      );
      // cdc_acm is one driver for both.
      assert.deepEqual([serial('serial:1-4:if00').driver, serial('serial:1-4:if00').usbDriver], ['cdc_acm', 'cdc_acm']);
      // The keyboard: a manufacturer of one space and a serial of one tab are absent; the padded product is trimmed.
      assert.deepEqual(
        [
          usb('1-6').manufacturer,
          usb('1-6').serialNumber,
          usb('1-6').product,
          (usb('1-6').interfaces as { name: unknown }[]).map((item) => item.name),
        ],
        [null, null, 'USB Keyboard', [null, null]],
      );
      assert.equal(
        usb('1-6').vendorName,
        'Holtek Semiconductor, Inc.',
        'a blank manufacturer is no name: usb.ids names the vendor',
      );
      // The catch-all takes the USB devices that nothing more specific claims.
      assert.equal(devices.get('usb:1-6')!.profile, 'every-usb-device');
      assert.equal(devices.get('usb:1-2')!.profile, null, 'the HubZ is claimed through its ttys');
    }));

  test('the Home Assistant corpus on these devices: each HubZ port to its own flow, the string-less stick to zwave_js', () =>
    withDevices(async (testbed) => {
      const listed = runCli(['list', '--json', '--profiles', path.join(ROOT, 'test', 'home-assistant', 'profiles')], {
        env: testbed.env(),
      });
      assert.equal(listed.status, 0, listed.stderr);
      const winners = Object.fromEntries(
        (JSON.parse(listed.stdout) as Listed[])
          .filter((device) => device.source === 'serial')
          .map((device) => [device.key, device.profile]),
      );
      assert.deepEqual(winners, {
        'serial:1-2:if00': 'zwave-js-10c4-8a2a-z-wave',
        'serial:1-2:if01': 'zha-10c4-8a2a-zigbee',
        'serial:1-3:if00': null,
        'serial:1-3:if01': null,
        'serial:1-4:if00': 'zwave-js-0658-0200',
        'serial:1-5:if00': null,
      });
    }));

  test('the daemon registers each HubZ port with its own profile, the string-less stick with usb.ids names, and the rest through the catch-all', () =>
    withDevices(async (testbed) => {
      const agent = await startFakeAgent();
      const space = workspace();
      writeConfig(space, agent.url, 'sources: { usb: { mode: inotify } }\n');
      for (const [name, text] of Object.entries(PROFILES))
        writeFileSync(path.join(space.profiles, `${name}.yaml`), text);
      let engine: EngineProcess | undefined;
      try {
        engine = await startEngine(space, [], testbed.env());
        // The HubZ, the stick and the CH340 are registered through their ttys (which claim their USB
        // parents); the CP2105 (no profile for its ports) and the keyboard through the catch-all.
        const expected = [
          '04d9:1702@1-6',
          '0658:0200@1-4:if0',
          '10c4:8a2a:C0F003D3:if0',
          '10c4:8a2a:C0F003D3:if1',
          '10c4:ea70:0093F3A1',
          '1a86:7523@1-5:if0',
        ];
        await waitFor('every device registered', () => held(agent).join() === expected.join());
        assert.equal(
          documentOf(agent, '10c4:8a2a:C0F003D3:if0')!['device-path'],
          '/dev/ttyUSB0',
          'the Z-Wave profile matched the Z-Wave port only',
        );
        assert.equal(documentOf(agent, '10c4:8a2a:C0F003D3:if1')!['device-path'], '/dev/ttyUSB1');
        assert.deepEqual(
          [documentOf(agent, '0658:0200@1-4:if0')!.vendor, documentOf(agent, '0658:0200@1-4:if0')!.product],
          ['Sigma Designs, Inc.', 'Aeotec Z-Stick Gen5 (ZW090) - UZB'],
        );
        assert.equal(
          documentOf(agent, '0658:0200@1-4:if0')!.name,
          undefined,
          'a null description is left out of the document',
        );
        const devices = (await engine.get('/devices')).body as Listed[];
        const zwave = devices.filter((device) => device.profile === 'hubz-zwave').map((device) => device.key);
        assert.deepEqual(zwave, ['serial:1-2:if00']);
        assert.equal(await engine.stop(), 0);
      } finally {
        await engine?.kill().catch(() => undefined);
        await agent.close();
        rmSync(space.root, { recursive: true, force: true });
      }
    }));
});
