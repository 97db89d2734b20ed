/*
 * The engine end to end on simulated USB hardware: a real engine process under a umockdev
 * testbed (see README.md here), profiles with `detect.usb`, a `nuvlabox` backend pointed at the
 * fake NuvlaBox agent on loopback. What the agent ends up holding is what is asserted.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { EngineProcess, Workspace } from '../daemon/engine-process.js';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { startTestbed, umockdevAvailable, type Testbed, type UsbDeviceSpec } from './testbed.js';
import {
  BARE,
  complaints,
  devicesOf,
  documentOf,
  GPS,
  gpsFacts,
  held,
  peripheralRequests,
  plug,
  quiet,
  requestIdentifier,
  startUsbEngine,
  unplug,
  usbProfile,
  usbStatus,
  usbWorkspace,
  waitFor,
  WEBCAM,
  WEBCAM_INTERFACES,
  type UsbMode,
} from './usb-helpers.js';

const skip = umockdevAvailable();

interface Rig {
  testbed: Testbed;
  agent: FakeAgent;
  space: Workspace;
  /** Starts the engine (once the test has set up what is present at start-up). */
  start(): Promise<EngineProcess>;
}

/**
 * A testbed, a fake agent and a workspace with `profiles`; the engine is started by `rig.start()`.
 * Everything is torn down afterwards; the engine must have stopped cleanly (exit code 0).
 */
async function withRig(
  options: { mode?: UsbMode; profiles: Record<string, string> },
  body: (rig: Rig) => Promise<void>,
): Promise<void> {
  const testbed = await startTestbed();
  const agent = await startFakeAgent();
  const space = usbWorkspace(agent, options.mode ? { mode: options.mode } : {}, options.profiles);
  let engine: EngineProcess | undefined;
  try {
    await body({
      testbed,
      agent,
      space,
      async start() {
        engine = await startUsbEngine(testbed, space);
        // The source's start-up watches schedule one more (debounced) enumeration: the source says
        // it is settling until it has passed.
        await waitFor('the start-up enumeration to settle', () => quiet(engine!));
        return engine;
      },
    });
    if (engine) assert.equal(await engine.stop(), 0, 'the engine stops cleanly on SIGTERM');
  } finally {
    if (engine) await engine.kill().catch(() => undefined);
    await agent.close();
    await testbed.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

/** Requests that the agent refused (4xx/5xx) or that never got an answer. */
const refused = (agent: FakeAgent) =>
  peripheralRequests(agent).filter((request) => request.status === 0 || request.status >= 400);
/** The requests about one identifier, as `METHOD status`. */
const trafficOf = (agent: FakeAgent, identifier: string) =>
  peripheralRequests(agent)
    .filter((request) => requestIdentifier(request) === identifier)
    .map((request) => `${request.method} ${request.status}`);
const errors = (engine: EngineProcess) => engine.logs.filter((line) => line.level === 'error');

const GPS_PROFILE = usbProfile('gps', {
  vendorId: '1546',
  productId: ['01a6', '01a7', '01a8'],
  manufacturer: 'U-BLOX*',
});
/** GPS at `address` as the gps profile maps it. */
function gpsDocument(address: number) {
  const device = `/dev/bus/usb/001/${String(address).padStart(3, '0')}`;
  return {
    identifier: '1546:01a7:GPS-0001',
    name: 'gps: u-blox 7 - GPS/GNSS Receiver',
    description: `1546:01a7 port 1-1.4 bus 1 address ${address}`,
    available: true,
    classes: ['Communications', 'CDC Data'],
    interface: 'USB',
    vendor: 'u-blox AG',
    product: 'u-blox 7 - GPS/GNSS Receiver',
    'serial-number': 'GPS-0001',
    'device-path': device,
  };
}

describe('engine on simulated USB hardware, registering with a NuvlaBox agent', () => {
  test(
    'coldplug: devices present at start-up are registered with their facts mapped; others are left alone',
    { skip },
    () =>
      withRig({ profiles: { gps: GPS_PROFILE } }, async ({ testbed, agent, start }) => {
        await testbed.addUsbDevice({ ...GPS, devnum: 9 });
        await testbed.addUsbDevice({
          port: '1-2',
          vendorId: '1546',
          productId: '01a7',
          manufacturer: 'Someone else',
          serial: 'X',
        }); // manufacturer glob fails
        await testbed.addUsbDevice({ port: '1-3', vendorId: '0403', productId: '6001', manufacturer: 'u-blox AG' }); // ids fail
        const engine = await start();
        await waitFor('the GPS registration', () => agent.peripherals.has('1546:01a7:GPS-0001'));
        await waitFor('the engine to have nothing left to send', () => quiet(engine));
        assert.deepEqual(held(agent), ['1546:01a7:GPS-0001']);
        assert.deepEqual(documentOf(agent, '1546:01a7:GPS-0001'), gpsDocument(9));
        assert.deepEqual(
          peripheralRequests(agent).map((request) => `${request.method} ${request.status}`),
          ['POST 201'],
        );

        const devices = await devicesOf(engine);
        const gps = devices.find((device) => device.key === 'usb:1-1.4')!;
        assert.equal(gps.profile, 'gps');
        assert.equal(gps.source, 'usb');
        assert.deepEqual(gps.facts.usb, gpsFacts(9));
        assert.deepEqual(
          devices.map((device) => [device.key, device.profile]),
          [
            ['usb:1-1', null],
            ['usb:1-1.4', 'gps'],
            ['usb:1-2', null],
            ['usb:1-3', null],
          ],
        );
        const { settling: _settling, ...status } = (await usbStatus(engine))!;
        assert.deepEqual(status, { kind: 'usb', mode: 'libusb-hotplug+inotify', ready: true, detail: '4 devices' });
        assert.ok(
          engine.logs.some((line) => line.msg === 'USB source started' && line.mode === 'libusb-hotplug+inotify'),
          'the log says which mode is active',
        );
        assert.deepEqual(complaints(engine.logs), []);
      }),
  );

  test(
    'hotplug (mode libusb): a device plugged in is registered (POST), unplugged deregistered (DELETE)',
    { skip },
    () =>
      withRig({ mode: 'libusb', profiles: { gps: GPS_PROFILE } }, async ({ testbed, agent, start }) => {
        await testbed.addUsbDevice(BARE); // a USB bus is there at start-up
        const engine = await start();
        assert.equal((await usbStatus(engine))?.mode, 'libusb-hotplug');
        assert.deepEqual(held(agent), []);

        const gps = await plug(testbed, GPS, { uevents: true });
        await waitFor('the registration', () => agent.peripherals.has('1546:01a7:GPS-0001'));
        assert.deepEqual(documentOf(agent, '1546:01a7:GPS-0001'), gpsDocument(gps.devnum));
        assert.ok((await devicesOf(engine)).some((device) => device.key === 'usb:1-1.4' && device.profile === 'gps'));

        await unplug(testbed, gps, { uevents: true });
        await waitFor('the deregistration', () => !agent.peripherals.has('1546:01a7:GPS-0001'));
        await waitFor('the engine to have nothing left to send', () => quiet(engine));
        assert.deepEqual(trafficOf(agent, '1546:01a7:GPS-0001'), ['POST 201', 'DELETE 200']);
        assert.deepEqual(
          peripheralRequests(agent, 'DELETE').map((request) => request.path),
          ['/api/peripheral/1546%3A01a7%3AGPS-0001'],
        );
        assert.ok(!(await devicesOf(engine)).some((device) => device.key === 'usb:1-1.4'));
        assert.deepEqual(complaints(engine.logs), []);
      }),
  );

  test(
    'identical devices are distinct: vid:pid:serial when there is a serial, vid:pid@port when not; a replug in the same port is the same device',
    { skip },
    () =>
      withRig(
        {
          mode: 'libusb',
          profiles: {
            gps: GPS_PROFILE,
            ch340: usbProfile('ch340', { vendorId: '1a86', productId: '7523', product: 'USB Serial*' }),
          },
        },
        async ({ testbed, agent, start }) => {
          await testbed.addUsbDevice({ ...GPS, serial: 'A1' });
          const engine = await start();
          await plug(testbed, { ...GPS, port: '1-1.5', serial: 'B2' }, { uevents: true });
          const ch340 = {
            vendorId: '1a86',
            productId: '7523',
            product: 'USB Serial',
            interfaces: [{ class: 0xff, subclass: 1, protocol: 2, driver: 'ch341' }],
          };
          const left = await plug(testbed, { ...ch340, port: '1-2' }, { uevents: true });
          await plug(testbed, { ...ch340, port: '1-3' }, { uevents: true });
          const all = ['1546:01a7:A1', '1546:01a7:B2', '1a86:7523@1-2', '1a86:7523@1-3'];
          await waitFor('four registrations', () => held(agent).join() === all.join());
          assert.equal(documentOf(agent, '1546:01a7:B2')!['serial-number'], 'B2');
          assert.equal(documentOf(agent, '1a86:7523@1-3')!['serial-number'], undefined);
          assert.match(String(documentOf(agent, '1a86:7523@1-3')!.description), /port 1-3 /);

          // unplug the one on 1-2: only it goes
          await unplug(testbed, left, { uevents: true });
          await waitFor('1-2 deregistered', () => !agent.peripherals.has('1a86:7523@1-2'));
          assert.deepEqual(held(agent), ['1546:01a7:A1', '1546:01a7:B2', '1a86:7523@1-3']);
          // back into the same port, at a new address: the same device again
          const back = await plug(testbed, { ...ch340, port: '1-2', devnum: 40 }, { uevents: true });
          await waitFor('1-2 registered again', () => agent.peripherals.has('1a86:7523@1-2'));
          assert.equal(documentOf(agent, '1a86:7523@1-2')!['device-path'], back.devnode);
          await waitFor('the engine to have nothing left to send', () => quiet(engine));
          assert.deepEqual(held(agent), all);
          assert.deepEqual(peripheralRequests(agent, 'POST').length, 5);

          // a serial number with characters an identifier cannot hold (the agent keeps one file per identifier)
          await plug(testbed, { ...GPS, port: '1-1.6', serial: 'SN 12/34' }, { uevents: true });
          await waitFor('the odd serial registered', () => agent.peripherals.has('1546:01a7:SN_12_34'));
          assert.equal(documentOf(agent, '1546:01a7:SN_12_34')!['serial-number'], 'SN 12/34');
          assert.deepEqual(refused(agent), []);
          assert.deepEqual(complaints(engine.logs), []);
        },
      ),
  );

  test(
    'another device in the same port between two enumerations: the old one is deregistered, the new one registered',
    { skip },
    () =>
      withRig(
        {
          mode: 'libusb',
          profiles: {
            gps: GPS_PROFILE,
            ftdi: usbProfile('ftdi', { vendorId: '0403', productId: '6001', manufacturer: 'FTDI' }),
          },
        },
        async ({ testbed, agent, start }) => {
          const gps = await testbed.addUsbDevice(GPS);
          const engine = await start();
          await waitFor('the GPS registration', () => agent.peripherals.has('1546:01a7:GPS-0001'));
          // swapped without a uevent, so that the next enumeration finds another device in 1-1.4 ...
          await testbed.remove(gps.path, { quiet: true });
          const ftdi = await plug(
            testbed,
            { port: '1-1.4', vendorId: '0403', productId: '6001', serial: 'F1', manufacturer: 'FTDI' },
            { uevents: false },
          );
          // ... which a uevent for some other device causes
          await plug(testbed, { port: '1-7', vendorId: 'abcd', productId: '0001' }, { uevents: true });
          await waitFor('the swap to reach the agent', () => held(agent).join() === '0403:6001:F1');
          assert.equal(documentOf(agent, '0403:6001:F1')!['device-path'], ftdi.devnode);
          assert.deepEqual(trafficOf(agent, '1546:01a7:GPS-0001'), ['POST 201', 'DELETE 200']);
          const device = (await devicesOf(engine)).find((item) => item.key === 'usb:1-1.4')!;
          assert.equal(device.profile, 'ftdi');
          assert.deepEqual(refused(agent), []);
        },
      ),
  );

  test(
    'a device without serial or strings: facts are null, the map leaves those fields out, a string glob does not match it',
    { skip },
    () =>
      withRig(
        {
          mode: 'libusb',
          profiles: {
            // Higher priority and as specific, but its manufacturer glob cannot hold for a device without the string.
            named: usbProfile('named', { vendorId: '1D50', manufacturer: '*' }, { priority: 10 }),
            bare: usbProfile('bare', { vendorId: '1D50', interfaceClass: 'Vendor Specific' }),
          },
        },
        async ({ testbed, agent, start }) => {
          await testbed.addUsbDevice({ port: '1-9', vendorId: 'abcd', productId: '0001' });
          const engine = await start();
          const bare = await plug(testbed, BARE, { uevents: true });
          await waitFor('the registration', () => agent.peripherals.size === 1);
          assert.deepEqual(documentOf(agent, '1d50:6089@1-5'), {
            identifier: '1d50:6089@1-5',
            name: 'bare: USB device 1d50:6089',
            description: `1d50:6089 port 1-5 bus 1 address ${bare.devnum}`,
            available: true,
            classes: ['Vendor Specific'],
            interface: 'USB',
            'device-path': bare.devnode,
          });
          const device = (await devicesOf(engine)).find((item) => item.key === 'usb:1-5')!;
          assert.equal(device.profile, 'bare');
          assert.deepEqual(
            [device.facts.usb!.manufacturer, device.facts.usb!.product, device.facts.usb!.serialNumber],
            [null, null, null],
          );
          await unplug(testbed, bare, { uevents: true });
          await waitFor('the deregistration', () => agent.peripherals.size === 0);
          assert.equal((await engine.get('/healthz')).status, 200);
          assert.deepEqual(complaints(engine.logs), []);
        },
      ),
  );

  test(
    'composite devices: interfaces in number order with class names, matched on interfaceClass (name or hex)',
    { skip },
    () =>
      withRig(
        {
          mode: 'libusb',
          profiles: {
            camera: usbProfile('camera', { interfaceClass: 'Video' }, { priority: 10 }),
            sound: usbProfile('sound', { interfaceClass: ['01', 'Audio'] }),
          },
        },
        async ({ testbed, agent, start }) => {
          await testbed.addUsbDevice(BARE);
          const engine = await start();
          const webcam = await plug(testbed, WEBCAM, { uevents: true });
          const headset: UsbDeviceSpec = {
            port: '1-4',
            vendorId: '0d8c',
            productId: '0014',
            product: 'USB Audio Device',
            interfaces: [
              { class: 0x01, subclass: 1, driver: 'snd-usb-audio' },
              { class: 0x01, subclass: 2, driver: 'snd-usb-audio' },
              { class: 0x01, subclass: 2, driver: 'snd-usb-audio' },
              { class: 0x03, driver: 'usbhid' },
            ],
          };
          // One at a time: an enumeration triggered by one plug could otherwise catch the next
          // device half-written (the source would then send it again, complete, as a PUT).
          await waitFor('the webcam registration', () => agent.peripherals.size === 1);
          await plug(testbed, headset, { uevents: true });
          await waitFor('the headset registration', () => agent.peripherals.size === 2);
          await plug(
            testbed,
            {
              port: '1-6',
              vendorId: '046d',
              productId: 'c31c',
              product: 'Keyboard',
              interfaces: [{ class: 0x03, subclass: 1, protocol: 1, driver: 'usbhid' }],
            },
            { uevents: true },
          );
          await waitFor('the engine to have nothing left to send', () => quiet(engine));
          assert.deepEqual(held(agent), ['046d:0825:CAFE1234', '0d8c:0014@1-4']);
          const camera = documentOf(agent, '046d:0825:CAFE1234')!;
          assert.equal(camera.name, 'camera: Webcam C270', 'the webcam matches both profiles; camera has priority');
          assert.deepEqual(camera.classes, ['Video', 'Video', 'Audio', 'HID']);
          assert.equal(camera['device-path'], webcam.devnode);
          assert.deepEqual(documentOf(agent, '0d8c:0014@1-4')!.classes, ['Audio', 'Audio', 'Audio', 'HID']);
          assert.equal(documentOf(agent, '0d8c:0014@1-4')!.name, 'sound: USB Audio Device');

          const devices = await devicesOf(engine);
          assert.deepEqual(
            devices.find((device) => device.key === 'usb:1-3')!.facts.usb!.interfaces,
            WEBCAM_INTERFACES,
          );
          assert.deepEqual(
            devices.map((device) => [device.key, device.profile]),
            [
              ['usb:1-3', 'camera'],
              ['usb:1-4', 'sound'],
              ['usb:1-5', null],
              ['usb:1-6', null],
            ],
          );
          assert.deepEqual(
            peripheralRequests(agent).map((request) => `${request.method} ${request.status}`),
            ['POST 201', 'POST 201'],
          );
        },
      ),
  );

  test(
    'flapping: 12 fast unplug/replugs (ctl.py add/remove, new address each time) converge, then 11 more ending unplugged',
    { skip },
    () =>
      withRig({ profiles: { gps: GPS_PROFILE } }, async ({ testbed, agent, start }) => {
        let gps = await testbed.addUsbDevice({ ...GPS, devnum: 2 });
        const engine = await start();
        await waitFor('the registration', () => agent.peripherals.has('1546:01a7:GPS-0001'));
        for (let cycle = 0; cycle < 12; cycle++) {
          await testbed.remove(gps.path);
          gps = await testbed.addUsbDevice({ ...GPS, devnum: 3 + cycle });
        }
        const lastPath = gps.devnode;
        await waitFor(
          'the last address to reach the agent',
          () => documentOf(agent, '1546:01a7:GPS-0001')?.['device-path'] === lastPath,
        );
        await waitFor('the engine to have nothing left to send', () => quiet(engine));
        assert.deepEqual(held(agent), ['1546:01a7:GPS-0001']);
        assert.equal(documentOf(agent, '1546:01a7:GPS-0001')!['device-path'], lastPath);
        assert.deepEqual(refused(agent), [], 'no duplicate POST, nothing refused');
        const count = (pattern: RegExp) =>
          trafficOf(agent, '1546:01a7:GPS-0001').filter((item) => pattern.test(item)).length;
        assert.equal(count(/^POST 201/) - count(/^DELETE 200/), 1, 'one registration more than deregistrations');

        for (let cycle = 0; cycle < 11; cycle++) {
          await testbed.remove(gps.path);
          gps = await testbed.addUsbDevice({ ...GPS, devnum: 20 + cycle });
        }
        await testbed.remove(gps.path);
        await waitFor('the deregistration', () => !agent.peripherals.has('1546:01a7:GPS-0001'));
        await waitFor('the engine to have nothing left to send', () => quiet(engine));
        assert.deepEqual(held(agent), []);
        assert.deepEqual(refused(agent), []);
        assert.equal(count(/^POST 201/), count(/^DELETE 200/));
        assert.ok(!(await devicesOf(engine)).some((device) => device.key === 'usb:1-1.4'));
        assert.deepEqual(errors(engine), []);
      }),
  );

  test(
    'inotify fallback (mode inotify, no uevents at all): devices are registered and deregistered, on a new bus too',
    { skip },
    () =>
      withRig(
        {
          mode: 'inotify',
          profiles: {
            gps: GPS_PROFILE,
            ftdi: usbProfile('ftdi', { vendorId: '0403', productId: '6001', manufacturer: 'FTDI' }),
          },
        },
        async ({ testbed, agent, start }) => {
          await testbed.addUsbDevice(BARE);
          const engine = await start();
          assert.equal((await usbStatus(engine))?.mode, 'inotify');
          assert.ok(engine.logs.some((line) => line.msg === 'USB source started' && line.mode === 'inotify'));
          const gps = await plug(testbed, GPS, { uevents: false });
          const ftdi = await plug(
            testbed,
            {
              port: '2-1',
              vendorId: '0403',
              productId: '6001',
              serial: 'A50285BI',
              manufacturer: 'FTDI',
              interfaces: [{ class: 0xff, driver: 'ftdi_sio' }],
            },
            { uevents: false },
          );
          await waitFor('both registrations', () => held(agent).join() === '0403:6001:A50285BI,1546:01a7:GPS-0001');
          assert.deepEqual(documentOf(agent, '1546:01a7:GPS-0001'), gpsDocument(gps.devnum));
          assert.equal(documentOf(agent, '0403:6001:A50285BI')!['device-path'], ftdi.devnode);
          await unplug(testbed, gps, { uevents: false });
          await unplug(testbed, ftdi, { uevents: false });
          await waitFor('both deregistrations', () => agent.peripherals.size === 0);
          assert.deepEqual(refused(agent), []);
          assert.deepEqual(complaints(engine.logs), []);
        },
      ),
  );

  test('no USB bus in the testbed: the engine runs with the USB source idle and exactly one warning', { skip }, () =>
    withRig({ profiles: { gps: GPS_PROFILE } }, async ({ agent, start }) => {
      const engine = await start();
      assert.deepEqual(await usbStatus(engine), {
        kind: 'usb',
        mode: 'idle',
        ready: true,
        settling: false,
        detail: '0 devices',
      });
      assert.equal((await engine.get('/healthz')).status, 200);
      await sleep(200);
      const warned = complaints(engine.logs);
      assert.equal(warned.length, 1, JSON.stringify(warned));
      assert.match(warned[0]!.msg, /no USB bus/);
      assert.equal(warned[0]!.source, 'usb');
      assert.deepEqual(peripheralRequests(agent), []);
    }),
  );

  test('a profile on interfaceClass matches a device whose interfaces appear after it was announced', { skip }, () =>
    withRig(
      { mode: 'auto', profiles: { camera: usbProfile('camera', { interfaceClass: 'Video' }) } },
      async ({ testbed, agent, start }) => {
        await testbed.addUsbDevice(BARE);
        await start();
        const { text, path: devicePath } = await testbed.render(WEBCAM);
        const paragraphs = text.split(/\n\s*\n/).filter((paragraph) => paragraph.trim());
        const isInterface = (paragraph: string) => paragraph.startsWith(`P: ${devicePath.slice('/sys'.length)}/`);
        await testbed.addFromString(paragraphs.filter((paragraph) => !isInterface(paragraph)).join('\n\n'));
        await sleep(100);
        await testbed.addFromString(paragraphs.filter(isInterface).join('\n\n'));
        await waitFor('the webcam registration', () => agent.peripherals.has('046d:0825:CAFE1234'), 1_500);
      },
    ),
  );
});
