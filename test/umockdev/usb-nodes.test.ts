/*
 * `usb.nodes` and `usb.net` through `engine list --json` under umockdev: built testbeds for a
 * two-node UVC camera, an LTE modem and a USB disk, and umockdev's own real recordings (a FIDO2
 * key's hidraw node, a keyboard's event node), copied into test/umockdev/devices.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { renderStatusPage } from '../../engine/server/status-page.js';
import type { Facts } from '../../engine/core/facts.js';
import { runCli } from '../paths.js';
import { deviceOf, profilesOf, summaryOf } from '../server/status-fixtures.js';
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
  source: string;
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

      // The text form lists them under their device; so does the status page.
      const text = runCli(['list', '--profiles', profiles], { env: testbed.env() }).stdout.split('\n');
      const modemAt = text.findIndex((line) => line.startsWith('usb 1-8 2c7c:0125'));
      assert.deepEqual(text.slice(modemAt + 1, modemAt + 3), [
        '    /dev/cdc-wdm0  usbmisc if4',
        '    /dev/ttyUSB0  tty if0',
      ]);
      assert.ok(text.includes('    wwan0  net if4  6a:1f:0c:41:2e:9b'), text.join('\n'));
      assert.ok(text.includes('    /dev/video1  video4linux if0  "HD Pro Webcam C920", index 1'), text.join('\n'));
      assert.ok(text.includes(`    /dev/sda1  block if0  ${31264768 * 512} bytes, partition 1`), text.join('\n'));
      const page = renderStatusPage({
        summary: summaryOf(),
        devices: [...devices.values()].map((device) => deviceOf(device.key, { facts: device.facts as Facts })),
        profiles: profilesOf(),
      });
      assert.match(
        page,
        /<ul class="nodes"><li><code>\/dev\/input\/event9  input if0  &quot;HD Pro Webcam C920&quot;<\/code><\/li>/,
      );
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

  test('attributes that cannot be read (a folder where a file should be, a dangling link, garbage) are skipped, never a crash', () =>
    withTestbed(async (testbed, profiles) => {
      const camera = await testbed.addUsbDevice(CAMERA);
      await addNodes(testbed, camera, [
        ...CAMERA_VIDEO_NODES,
        ...CAMERA_OTHER_NODES,
        { below: '1-7:1.3/broken/thing0', subsystem: 'misc', attributes: { dev: 'garbage' } },
      ]);
      const folder = (below: string) => path.join(testbed.root, camera.path, below);
      // The sound card's control node: its `dev` is a folder, its `uevent` too (reads fail with EISDIR).
      for (const name of ['dev', 'uevent']) {
        rmSync(path.join(folder('1-7:1.2/sound/card1/controlC1'), name));
        mkdirSync(path.join(folder('1-7:1.2/sound/card1/controlC1'), name));
      }
      // The capture pcm's `subsystem` link leads to a class that is not there, and its uevent is gone:
      // the link still names the subsystem, and without DEVNAME the node is named after its folder.
      rmSync(path.join(folder('1-7:1.2/sound/card1/pcmC1D0c'), 'subsystem'));
      symlinkSync(
        '../../../../../../../../../class/gone',
        path.join(folder('1-7:1.2/sound/card1/pcmC1D0c'), 'subsystem'),
      );
      rmSync(path.join(folder('1-7:1.2/sound/card1/pcmC1D0c'), 'uevent'));
      // The metadata node's V4L attributes are folders.
      for (const name of ['name', 'index']) {
        rmSync(path.join(folder('1-7:1.0/video4linux/video1'), name));
        mkdirSync(path.join(folder('1-7:1.0/video4linux/video1'), name));
      }
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
        { subsystem: 'gone', devnode: '/dev/pcmC1D0c', interface: 2, major: 116, minor: 9 },
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
          name: null,
          index: null,
        },
      ]);
    }));
});
