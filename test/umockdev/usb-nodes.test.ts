/*
 * `usb.nodes` and `usb.net` through `engine list --json` under umockdev: built testbeds for a
 * two-node UVC camera, an LTE modem and a USB disk, and umockdev's own real recordings (a FIDO2
 * key's hidraw node, a keyboard's event node), copied into test/umockdev/devices.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../paths.js';
import {
  addModemTtys,
  addNodes,
  CAMERA,
  CAMERA_OTHER_NODES,
  CAMERA_VIDEO_NODES,
  DISK,
  DISK_NODES,
  MODEM,
  MODEM_QMI_NODES,
} from './node-devices.js';
import { DEVICES_DIR, startTestbed, umockdevAvailable, type Testbed } from './testbed.js';

const skip = umockdevAvailable();

interface Listed {
  key: string;
  facts: { usb?: { nodes?: unknown[]; net?: unknown[] } };
}

/** `engine list --json` under the testbed, by key. */
function list(testbed: Testbed, profiles: string): Map<string, Listed> {
  const listed = runCli(['list', '--json', '--profiles', profiles], { env: testbed.env() });
  assert.equal(listed.status, 0, listed.stderr);
  return new Map((JSON.parse(listed.stdout) as Listed[]).map((device) => [device.key, device]));
}

async function withTestbed(body: (testbed: Testbed, profiles: string) => Promise<void>): Promise<void> {
  const testbed = await startTestbed();
  const profiles = mkdtempSync(path.join(os.tmpdir(), 'nodes-profiles-'));
  try {
    await body(testbed, profiles);
  } finally {
    await testbed.close();
    rmSync(profiles, { recursive: true, force: true });
  }
}

describe('usb.nodes and usb.net', { skip }, () => {
  test('a camera, a modem and a disk: every node with its subsystem, devnode and interface', () =>
    withTestbed(async (testbed, profiles) => {
      const camera = await testbed.addUsbDevice(CAMERA);
      await addNodes(testbed, camera, [...CAMERA_VIDEO_NODES, ...CAMERA_OTHER_NODES]);
      const modem = await testbed.addUsbDevice(MODEM);
      await addModemTtys(testbed, modem);
      await addNodes(testbed, modem, MODEM_QMI_NODES);
      const disk = await testbed.addUsbDevice(DISK);
      await addNodes(testbed, disk, DISK_NODES);
      const bare = await testbed.addUsbDevice({ port: '1-5', vendorId: '1d50', productId: '6089' });
      assert.ok(bare);

      const devices = list(testbed, profiles);
      assert.deepEqual(devices.get('usb:1-7')!.facts.usb!.nodes, [
        {
          subsystem: 'input',
          devnode: '/dev/input/event9',
          interface: 0,
          major: 13,
          minor: 73,
          name: 'HD Pro Webcam C920',
        },
        { subsystem: 'sound', devnode: '/dev/snd/controlC1', interface: 2, major: 116, minor: 8 },
        { subsystem: 'sound', devnode: '/dev/snd/pcmC1D0c', interface: 2, major: 116, minor: 9 },
        {
          subsystem: 'video4linux',
          devnode: '/dev/video0',
          interface: 0,
          major: 81,
          minor: 0,
          name: 'HD Pro Webcam C920',
          index: 0,
        },
        {
          subsystem: 'video4linux',
          devnode: '/dev/video1',
          interface: 0,
          major: 81,
          minor: 1,
          name: 'HD Pro Webcam C920',
          index: 1,
        },
      ]);
      assert.deepEqual(devices.get('usb:1-7')!.facts.usb!.net, []);

      const modemFacts = devices.get('usb:1-8')!.facts.usb!;
      assert.deepEqual(
        (modemFacts.nodes as { subsystem: string; devnode: string; interface: number }[]).map((node) => [
          node.subsystem,
          node.devnode,
          node.interface,
        ]),
        [
          ['usbmisc', '/dev/cdc-wdm0', 4],
          ['tty', '/dev/ttyUSB0', 0],
          ['tty', '/dev/ttyUSB1', 1],
          ['tty', '/dev/ttyUSB2', 2],
          ['tty', '/dev/ttyUSB3', 3],
        ],
      );
      assert.deepEqual(modemFacts.net, [{ name: 'wwan0', interface: 4, address: '6a:1f:0c:41:2e:9b' }]);
      // The tty's own device carries its USB parent's nodes too.
      assert.equal((devices.get('serial:1-8:if00')!.facts.usb!.nodes as unknown[]).length, 5);

      assert.deepEqual(devices.get('usb:1-9')!.facts.usb!.nodes, [
        {
          subsystem: 'block',
          devnode: '/dev/sda',
          interface: 0,
          major: 8,
          minor: 0,
          size: 31266816 * 512,
          partition: null,
        },
        {
          subsystem: 'block',
          devnode: '/dev/sda1',
          interface: 0,
          major: 8,
          minor: 1,
          size: 31264768 * 512,
          partition: 1,
        },
      ]);

      assert.deepEqual([devices.get('usb:1-5')!.facts.usb!.nodes, devices.get('usb:1-5')!.facts.usb!.net], [[], []]);
    }));

  test('real recordings: a FIDO2 key has its hidraw node, a keyboard its event node, on interface 0', async () => {
    for (const [recording, key, node] of [
      [
        'fido2.umockdev',
        'usb:1-2.3',
        { subsystem: 'hidraw', devnode: '/dev/hidraw5', interface: 0, major: 240, minor: 5 },
      ],
      [
        'usbkbd.umockdev',
        'usb:1-1.5.4.2',
        { subsystem: 'input', devnode: '/dev/input/event5', interface: 0, major: 13, minor: 69, name: 'HID 05f3:0007' },
      ],
    ] as const) {
      await withTestbed(async (testbed, profiles) => {
        await testbed.addFromFile(path.join(DEVICES_DIR, recording));
        const devices = list(testbed, profiles);
        assert.deepEqual(devices.get(key)!.facts.usb!.nodes, [node], recording);
        // The hubs above it have none of their children's nodes.
        for (const [other, device] of devices)
          if (other !== key && other.startsWith('usb:')) assert.deepEqual(device.facts.usb!.nodes, [], other);
      });
    }
  });

  test('an unreadable folder and a node without numbers give what can be read, never a crash', () =>
    withTestbed(async (testbed, profiles) => {
      const camera = await testbed.addUsbDevice(CAMERA);
      await addNodes(testbed, camera, [
        ...CAMERA_VIDEO_NODES,
        ...CAMERA_OTHER_NODES,
        { below: '1-7:1.3/broken/thing0', subsystem: 'misc', attributes: { dev: 'garbage' } },
      ]);
      // A folder nobody may read (root reads it anyway, so take its x bit too: no path through it).
      const sealed = path.join(testbed.root, camera.path, '1-7:1.2');
      chmodSync(sealed, 0);
      try {
        const devices = list(testbed, profiles);
        const nodes = devices.get('usb:1-7')!.facts.usb!.nodes as { devnode: string }[];
        assert.deepEqual(
          nodes.map((node) => node.devnode),
          ['/dev/input/event9', '/dev/video0', '/dev/video1'],
        );
      } finally {
        chmodSync(sealed, 0o755);
      }
    }));
});
