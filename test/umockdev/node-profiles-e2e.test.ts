/*
 * The shipped node profiles end to end: a real engine under a umockdev testbed registers a UVC
 * camera, an LTE modem, a USB disk and a GPU with the fake NuvlaBox agent, with exactly the
 * documents expected, and deregisters them when they go; a video node that binds 200 ms after
 * its camera is one PUT.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { EngineProcess } from '../daemon/engine-process.js';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { ROOT } from '../paths.js';
import {
  addModemTtys,
  addNodes,
  CAMERA,
  CAMERA_OTHER_NODES,
  CAMERA_VIDEO_NODES,
  DISK,
  DISK_NODES,
  GPU_TEXT,
  MODEM,
  MODEM_QMI_NODES,
  type NodeSpec,
} from './node-devices.js';
import { startTestbed, umockdevAvailable, type Testbed } from './testbed.js';
import {
  devicesOf,
  documentOf,
  held,
  peripheralRequests,
  plug,
  requestIdentifier,
  startUsbEngine,
  usbStatus,
  usbWorkspace,
  waitFor,
} from './usb-helpers.js';

const skip = umockdevAvailable();

/** A HID node of the camera's button, added long after the camera. */
const HIDRAW: NodeSpec = { below: '1-7:1.3/0003:046D:082D.0001/hidraw/hidraw2', subsystem: 'hidraw', dev: '240:2' };

/** The identifier of the testbed's GPU: its PCI slot. */
const GPU_ID = 'gpu:0000:01:00.0';
const shipped = (name: string) => readFileSync(path.join(ROOT, 'profiles', `${name}.yaml`), 'utf8');
/** NuvlaEdge's catch-all, told to notify the agent (it tells NuvlaEdge's file broker). */
const catchAll = () =>
  readFileSync(path.join(ROOT, 'examples', 'nuvlaedge', 'profiles', 'every-usb-device.yaml'), 'utf8').replace(
    'backend: nuvlaedge',
    'backend: nuvlabox',
  );

const trafficOf = (agent: FakeAgent, identifier: string) =>
  peripheralRequests(agent)
    .filter((request) => requestIdentifier(request) === identifier)
    .map((request) => `${request.method} ${request.status}`);

async function withEngine(
  profiles: Record<string, string>,
  body: (testbed: Testbed, agent: FakeAgent, start: () => Promise<EngineProcess>, dev: string) => Promise<void>,
): Promise<void> {
  const testbed = await startTestbed();
  const agent = await startFakeAgent();
  const space = usbWorkspace(agent, {}, {});
  for (const [name, text] of Object.entries(profiles))
    writeFileSync(path.join(space.profiles, `${name}.yaml`), text.replaceAll('/dev/dri/', `${space.dev}/dri-`));
  let engine: EngineProcess | undefined;
  try {
    await body(testbed, agent, async () => (engine = await startUsbEngine(testbed, space)), space.dev);
    if (engine) assert.equal(await engine.stop(), 0, 'the engine stops cleanly');
  } finally {
    if (engine) await engine.kill().catch(() => undefined);
    await agent.close();
    await testbed.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

/** Waits until the USB source has no look pending, so that whatever it was to report is reported. */
async function settled(engine: EngineProcess): Promise<void> {
  await waitFor('the USB source to settle', async () => (await usbStatus(engine))?.settling === false, 20_000);
  await sleep(100);
}

describe('node profiles end to end', { skip }, () => {
  test('a camera, a modem and a disk plugged in are registered with their nodes, and deregistered when unplugged', () =>
    withEngine(
      {
        'uvc-camera': shipped('uvc-camera'),
        'usb-disk': shipped('usb-disk'),
        'lte-modem-qmi': shipped('lte-modem-qmi'),
      },
      async (testbed, agent, start) => {
        await testbed.addUsbDevice({ port: '1-5', vendorId: '1d50', productId: '6089' }); // a bus at start-up
        await start();
        const camera = await testbed.addUsbDevice(CAMERA);
        await addNodes(testbed, camera, CAMERA_VIDEO_NODES);
        const modem = await testbed.addUsbDevice(MODEM);
        await addModemTtys(testbed, modem);
        await addNodes(testbed, modem, MODEM_QMI_NODES);
        const disk = await testbed.addUsbDevice(DISK);
        await addNodes(testbed, disk, DISK_NODES);
        const ids = ['046d:082d:A1B2C3D4', '0781:5567:4C530001230718117433', '2c7c:0125:0123456789ABCDEF'];
        await waitFor('all three registered', () => ids.every((id) => agent.peripherals.has(id)), 20_000);

        assert.deepEqual(documentOf(agent, ids[0]!), {
          identifier: '046d:082d:A1B2C3D4',
          name: 'HD Pro Webcam C920',
          description: 'UVC camera 046d:082d',
          available: true,
          classes: ['video'],
          interface: 'USB',
          vendor: 'Logitech',
          product: 'HD Pro Webcam C920',
          'serial-number': 'A1B2C3D4',
          'device-path': `/dev/bus/usb/001/${String(camera.devnum).padStart(3, '0')}`,
          'video-device': '/dev/video0',
        });
        assert.deepEqual(documentOf(agent, ids[1]!), {
          identifier: '0781:5567:4C530001230718117433',
          name: 'Cruzer Blade',
          description: '/dev/sda, 16 GB',
          available: true,
          classes: ['storage'],
          interface: 'USB',
          vendor: 'SanDisk',
          product: 'Cruzer Blade',
          'serial-number': '4C530001230718117433',
          'device-path': '/dev/sda',
        });
        assert.deepEqual(documentOf(agent, ids[2]!), {
          identifier: '2c7c:0125:0123456789ABCDEF',
          name: 'EG25-G LTE modem',
          description: 'network interface wwan0, QMI control /dev/cdc-wdm0',
          available: true,
          classes: ['modem', 'lte'],
          interface: 'USB',
          vendor: 'Quectel',
          product: 'EG25-G',
          'serial-number': '0123456789ABCDEF',
          'device-path': '/dev/ttyUSB2',
        });
        assert.deepEqual(held(agent), [...ids].sort(), 'nothing else (the bare device matches no profile)');

        for (const device of [camera, modem, disk]) await testbed.remove(device.path);
        await waitFor('all three deregistered', () => held(agent).length === 0, 20_000);
        for (const id of ids) assert.equal(trafficOf(agent, id).at(-1), 'DELETE 200', id);
      },
    ));

  test('a video node that binds 200 ms after its camera is one PUT that adds video-device; unbound, it goes again', () =>
    withEngine({ 'every-usb-device': catchAll() }, async (testbed, agent, start) => {
      await testbed.addUsbDevice({ port: '1-5', vendorId: '1d50', productId: '6089' });
      const engine = await start();
      const camera = await plug(testbed, CAMERA, { uevents: true });
      const id = '046d:082d:A1B2C3D4';
      await waitFor('the camera registered', () => agent.peripherals.has(id));
      assert.equal(documentOf(agent, id)!['video-device'], undefined, 'no node yet');
      await sleep(Math.max(0, camera.announcedAt + 200 - Date.now()));
      await addNodes(testbed, camera, CAMERA_VIDEO_NODES, { quiet: true });
      await waitFor('video-device', () => documentOf(agent, id)?.['video-device'] === '/dev/video0');
      await settled(engine);
      assert.deepEqual(trafficOf(agent, id), ['POST 201', 'PUT 200']);

      // Long after (no look of the source pending, no uevent): a node appearing in /dev is seen
      // too; it changes the device's facts but not its document, so nothing more is sent.
      await addNodes(testbed, camera, [HIDRAW], { quiet: true });
      await waitFor(
        'the hidraw node in the facts',
        async () =>
          (await devicesOf(engine))
            .find((device) => device.key === 'usb:1-7')
            ?.facts.usb?.nodes?.some((node) => node.devnode === '/dev/hidraw2') === true,
      );
      await settled(engine);
      assert.deepEqual(trafficOf(agent, id), ['POST 201', 'PUT 200']);

      // uvcvideo unbound, the camera still plugged: its video nodes go, and that is believed.
      for (const node of [...CAMERA_VIDEO_NODES].reverse()) await testbed.remove(`${camera.path}/${node.below}`);
      await waitFor('video-device gone', () => documentOf(agent, id)?.['video-device'] === undefined, 20_000);
      await settled(engine);
      // The agent's PUT merges fields, so a field taken away is a new document (DELETE, POST).
      assert.deepEqual(trafficOf(agent, id), ['POST 201', 'PUT 200', 'DELETE 200', 'POST 201']);
    }));

  test('a camera unplugged (its nodes go first, as the kernel removes them) is one DELETE, no update on its way out', () =>
    withEngine({ 'every-usb-device': catchAll() }, async (testbed, agent, start) => {
      await testbed.addUsbDevice({ port: '1-5', vendorId: '1d50', productId: '6089' });
      const camera = await testbed.addUsbDevice(CAMERA);
      await addNodes(testbed, camera, [...CAMERA_VIDEO_NODES, ...CAMERA_OTHER_NODES]);
      const engine = await start();
      const id = '046d:082d:A1B2C3D4';
      await waitFor('the camera registered', () => documentOf(agent, id)?.['video-device'] === '/dev/video0');
      await settled(engine);
      await testbed.remove(camera.path);
      await waitFor('the camera deregistered', () => !agent.peripherals.has(id));
      await settled(engine);
      assert.deepEqual(trafficOf(agent, id), ['POST 201', 'DELETE 200']);
    }));

  test(
    'the GPU: its render node with its PCI device is one peripheral, named by its PCI slot, gone with the node',
    { skip: skip ?? (process.getuid?.() === 0 ? false : 'making a device node needs root') },
    () =>
      withEngine({ gpu: shipped('gpu') }, async (testbed, agent, start, dev) => {
        await testbed.addFromString(GPU_TEXT);
        // A real character node 226:128 (the engine's lstat sees the real machine); its sysfs is the testbed's.
        const node = path.join(dev, 'dri-renderD128');
        const made = spawnSync('mknod', [node, 'c', '226', '128'], { encoding: 'utf8' });
        assert.equal(made.status, 0, made.stderr);
        await start();
        await waitFor('the GPU registered', () => agent.peripherals.has(GPU_ID));
        assert.deepEqual(documentOf(agent, GPU_ID), {
          identifier: GPU_ID,
          name: 'Graphics Processing Unit',
          description: 'TU104GL [Tesla T4] (PCI 0000:01:00.0, driver nvidia)',
          available: true,
          classes: ['gpu'],
          interface: 'gpu',
          vendor: 'NVIDIA Corporation',
          product: 'TU104GL [Tesla T4]',
          'device-path': node,
        });
        rmSync(node);
        await waitFor('the GPU deregistered', () => !agent.peripherals.has(GPU_ID));
        assert.deepEqual(trafficOf(agent, GPU_ID), ['POST 201', 'DELETE 200']);
      }),
  );
});
