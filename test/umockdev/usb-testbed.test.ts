/*
 * The umockdev harness, proven with the real `usb` package (libusb) and Node's fs in a child
 * process that sees the simulated kernel through testbed.env(). See README.md beside this file.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../paths.js';
import { DEVICES_DIR, startTestbed, umockdevAvailable, type Testbed } from './testbed.js';

const skip = umockdevAvailable();
const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'probe-usb.js');

interface ProbedDevice {
  busNumber: number;
  deviceAddress: number;
  portNumbers: number[] | null;
  idVendor: string;
  idProduct: string;
  bcdDevice: string;
  deviceClass: number;
  stringIndexes: number[];
  interfaces: { number: number; class: number; subclass: number; protocol: number; endpoints: number[] }[];
}
type Message = Record<string, unknown> & { event?: string; reply?: string };
type Outcome = { ok: true; value: unknown } | { ok: false; code: string };

/** probe-usb.js running inside the testbed. */
class Probe {
  readonly messages: Message[] = [];
  stderr = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(testbed: Testbed) {
    this.child = testbed.spawn(process.execPath, [PROBE], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) =>
      this.messages.push(JSON.parse(line) as Message),
    );
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.on('close', () => resolve()));
  }

  /** Waits for a message (at index >= from) that satisfies `match`. */
  async waitFor(what: string, match: (message: Message) => boolean, from = 0, timeoutMs = 10_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `probe: timed out waiting for ${what}; got ${JSON.stringify(this.messages.slice(from))}; stderr: ${this.stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async ready(): Promise<void> {
    await this.waitFor('ready', (message) => message.event === 'ready');
  }

  /** Sends a command and waits for its reply. */
  async request(command: Record<string, unknown>): Promise<Message> {
    const from = this.messages.length;
    this.child.stdin!.write(JSON.stringify(command) + '\n');
    return this.waitFor(
      `reply to ${JSON.stringify(command)}`,
      (message) => message.reply === command.cmd || message.reply === 'error',
      from,
    );
  }

  async list(): Promise<ProbedDevice[]> {
    return (await this.request({ cmd: 'list' })).devices as ProbedDevice[];
  }

  events(kind: string, from = 0): Message[] {
    return this.messages.slice(from).filter((message) => message.event === kind);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.write(JSON.stringify({ cmd: 'quit' }) + '\n');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

const byIds = (devices: ProbedDevice[], vendor: string, product: string) =>
  devices.filter((device) => device.idVendor === vendor && device.idProduct === product);
const deviceOf = (message: Message) => message.device as ProbedDevice;

describe('umockdev testbed driven from TypeScript', () => {
  let testbed!: Testbed;
  before(async () => {
    if (!skip) testbed = await startTestbed();
  });
  after(async () => {
    if (testbed) await testbed.close();
  });

  test(
    'ctl.py builds the missing controller, root hub and hubs, and refuses bad or clashing devices',
    { skip },
    async () => {
      const added = await testbed.addUsbDevice({ port: '2-3.1', vendorId: 'abcd', productId: '0001' });
      assert.equal(added.sysname, '2-3.1');
      assert.equal(added.busnum, 2);
      assert.equal(added.devnum, 2, 'the lowest free address from 2');
      assert.equal(added.devnode, '/dev/bus/usb/002/002');
      assert.equal(added.path, '/sys/devices/pci0000:00/0000:00:14.0/usb2/2-3/2-3.1');
      assert.deepEqual(added.interfaces, [`${added.path}/2-3.1:1.0`]);
      assert.ok(added.added.includes('/sys/devices/pci0000:00/0000:00:14.0/usb2'), 'root hub created');
      assert.ok(added.added.includes('/sys/devices/pci0000:00/0000:00:14.0/usb2/2-3'), 'hub on port 3 created');

      await assert.rejects(
        testbed.addUsbDevice({ port: '2-4', vendorId: 'abcd', productId: '0002', devnum: 2 }),
        /already in use/,
      );
      await assert.rejects(
        testbed.addUsbDevice({ port: '2-3.1', vendorId: 'abcd', productId: '0002' }),
        /already exists/,
      );
      await assert.rejects(
        testbed.addUsbDevice({ port: 'usb2', vendorId: 'abcd', productId: '0002' }),
        /port must look like/,
      );
      await assert.rejects(testbed.addUsbDevice({ port: '2-5', vendorId: 'xyz', productId: '0002' }), /vendorId/);

      const { removed } = await testbed.remove(added.path);
      assert.deepEqual(removed, [`${added.path}/2-3.1:1.0`, added.path], 'interfaces first, then the device');
      await assert.rejects(testbed.remove(added.path), /no device/);
      // the helper survives errors and keeps serving
      const again = await testbed.addUsbDevice({ port: '2-3.1', vendorId: 'abcd', productId: '0001' });
      assert.equal(again.devnum, 2, 'the freed address is reused');
      await testbed.remove(again.path);
    },
  );

  test('fixture files add parents first and skip devices already present', { skip }, async () => {
    const first = await testbed.addFromFile(path.join(DEVICES_DIR, 'ublox7-gps.umockdev'));
    assert.deepEqual(
      first.skipped.filter((item) => item.endsWith('/usb1')),
      [],
    );
    assert.ok(
      first.added.indexOf('/sys/devices/pci0000:00/0000:00:14.0/usb1') <
        first.added.indexOf('/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1.4'),
    );
    const second = await testbed.addFromFile(path.join(DEVICES_DIR, 'ftdi-ft232r.umockdev'));
    assert.ok(second.skipped.includes('/sys/devices/pci0000:00/0000:00:14.0/usb1'), 'the shared root hub is skipped');
    assert.ok(second.added.includes('/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2'));
    await testbed.remove('/sys/devices/pci0000:00/0000:00:14.0/usb1');
  });
});

describe('the real usb package (libusb) under umockdev', () => {
  let testbed!: Testbed;
  const probes: Probe[] = [];
  const startProbe = async () => {
    const probe = new Probe(testbed);
    probes.push(probe);
    await probe.ready();
    return probe;
  };
  before(async () => {
    if (!skip) testbed = await startTestbed();
  });
  after(async () => {
    await Promise.all(probes.map((probe) => probe.stop()));
    if (testbed) await testbed.close();
  });

  test('a host with no USB bus: getDeviceList() is empty and libusb initialises', { skip }, async () => {
    const probe = await startProbe();
    assert.deepEqual(await probe.list(), []);
    assert.doesNotMatch(probe.stderr, /Failed to initialize libusb/);
    await probe.stop();
  });

  test('(a) coldplug: getDeviceList() in a process started afterwards lists the devices', { skip }, async () => {
    await testbed.addFromFile(path.join(DEVICES_DIR, 'ublox7-gps.umockdev'));
    await testbed.addFromFile(path.join(DEVICES_DIR, 'ftdi-ft232r.umockdev'));
    const bare = await testbed.addUsbDevice({
      port: '3-2',
      devnum: 9,
      vendorId: '1a86',
      productId: '7523',
      interfaces: [{ class: 0xff, subclass: 1, protocol: 2, driver: 'ch341' }],
    });
    const probe = await startProbe();
    const devices = await probe.list();

    const [gps, ...moreGps] = byIds(devices, '1546', '01a7');
    assert.ok(gps && moreGps.length === 0, JSON.stringify(devices));
    assert.equal(gps.busNumber, 1);
    assert.equal(gps.deviceAddress, 5);
    assert.deepEqual(gps.portNumbers, [1, 4], 'port path 1-1.4, through the hub the testbed created on 1-1');
    assert.equal(gps.deviceClass, 2);
    assert.deepEqual(gps.stringIndexes, [1, 2, 0], 'manufacturer and product strings, no serial');
    assert.deepEqual(
      gps.interfaces.map((itf) => [itf.number, itf.class, itf.subclass, itf.protocol]),
      [
        [0, 2, 2, 1],
        [1, 10, 0, 0],
      ],
    );
    assert.deepEqual(
      gps.interfaces.map((itf) => itf.endpoints),
      [[0x81], [0x82, 0x01]],
    );

    const [ftdi] = byIds(devices, '0403', '6001');
    assert.ok(ftdi);
    assert.deepEqual([ftdi.busNumber, ftdi.deviceAddress, ftdi.portNumbers, ftdi.bcdDevice], [1, 7, [2], '0600']);

    const [ch340] = byIds(devices, '1a86', '7523');
    assert.ok(ch340);
    assert.deepEqual([ch340.busNumber, ch340.deviceAddress, ch340.portNumbers], [3, bare.devnum, [2]]);
    assert.deepEqual(ch340.stringIndexes, [0, 0, 0], 'a device without any strings');

    const rootHubs = byIds(devices, '1d6b', '0002');
    assert.deepEqual(rootHubs.map((hub) => [hub.busNumber, hub.deviceAddress]).sort(), [
      [1, 1],
      [3, 1],
    ]);
    await probe.stop();
  });

  test('(b) hotplug: usb.on("attach"/"detach") fire in a running process', { skip }, async () => {
    const probe = await startProbe();
    await probe.request({ cmd: 'hotplug' });
    const mark = probe.messages.length;

    const one = await testbed.addUsbDevice({
      port: '1-3',
      vendorId: '10c4',
      productId: 'ea60',
      serial: '0001',
      interfaces: [{ class: 0xff, driver: 'cp210x', endpoints: 2 }],
    });
    const two = await testbed.addUsbDevice({
      port: '4-1.2',
      vendorId: '10c4',
      productId: 'ea60',
      serial: '0002',
      interfaces: [{ class: 0xff, driver: 'cp210x', endpoints: 2 }],
    });
    const attachOf = (devnum: number, bus: number) => (message: Message) =>
      message.event === 'attach' && deviceOf(message).deviceAddress === devnum && deviceOf(message).busNumber === bus;
    const a1 = deviceOf(await probe.waitFor('attach of 1-3', attachOf(one.devnum, 1), mark));
    const a2 = deviceOf(await probe.waitFor('attach of 4-1.2', attachOf(two.devnum, 4), mark));
    assert.deepEqual([a1.idVendor, a1.idProduct, a1.portNumbers], ['10c4', 'ea60', [3]]);
    assert.deepEqual([a2.idVendor, a2.idProduct, a2.portNumbers], ['10c4', 'ea60', [1, 2]]);
    assert.deepEqual(
      a2.interfaces.map((itf) => itf.class),
      [0xff],
    );
    // a new bus brings its root hub and the hub on port 1 with it: attach events for those too
    await probe.waitFor('attach of the bus 4 root hub', attachOf(1, 4), mark);
    // add_from_string already sends the "add" uevent: each device attaches exactly once
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(probe.events('attach', mark).filter((message) => attachOf(one.devnum, 1)(message)).length, 1);

    const removeMark = probe.messages.length;
    await testbed.remove(one.path);
    const gone = deviceOf(await probe.waitFor('detach of 1-3', (message) => message.event === 'detach', removeMark));
    assert.deepEqual(
      [gone.busNumber, gone.deviceAddress, gone.idVendor, gone.idProduct],
      [1, one.devnum, '10c4', 'ea60'],
      'the descriptor is still readable at detach',
    );
    assert.equal(byIds(await probe.list(), '10c4', 'ea60').length, 1, 'libusb forgot the removed device');
    await testbed.remove(two.path);
    await probe.waitFor(
      'detach of 4-1.2',
      (message) => message.event === 'detach' && deviceOf(message).busNumber === 4,
      removeMark,
    );
    await probe.stop();
  });

  test(
    '(b) without uevents ("quiet", as in a container): libusb stays silent and stale, inotify on /dev/bus/usb sees the change',
    { skip },
    async () => {
      const probe = await startProbe();
      await probe.request({ cmd: 'hotplug' });
      const watched = await probe.request({ cmd: 'watch', path: '/dev/bus/usb/001' });
      assert.equal(watched.ok, true, JSON.stringify(watched));
      const mark = probe.messages.length;

      const quiet = await testbed.addUsbDevice({
        port: '1-5',
        devnum: 40,
        vendorId: '2341',
        productId: '0043',
        quiet: true,
      });
      await probe.waitFor(
        'inotify event for 040',
        (message) => message.event === 'watch' && message.filename === '040',
        mark,
      );
      // a loud add afterwards proves the uevent channel works: its attach arrives, the quiet one never does
      const loud = await testbed.addUsbDevice({ port: '1-6', devnum: 41, vendorId: '2341', productId: '0001' });
      await probe.waitFor(
        'attach of the loud device',
        (message) => message.event === 'attach' && deviceOf(message).deviceAddress === loud.devnum,
        mark,
      );
      assert.deepEqual(
        probe.events('attach', mark).map((message) => deviceOf(message).deviceAddress),
        [loud.devnum],
      );

      // libusb (built with udev) serves getDeviceList() from its hotplug-maintained cache: the quiet
      // device is invisible to the running process, though sysfs shows it
      let devices = await probe.list();
      assert.equal(
        byIds(devices, '2341', '0043').length,
        0,
        'libusb does not rescan: the quietly added device is missing',
      );
      const sysfs = (await probe.request({ cmd: 'fs', sysname: quiet.sysname, devnode: quiet.devnode }))
        .results as Record<string, Outcome>;
      assert.deepEqual(sysfs.readFileSync, { ok: true, value: '2341\n' });
      // a process started now enumerates it (coldplug scans sysfs)
      const fresh = await startProbe();
      assert.equal(byIds(await fresh.list(), '2341', '0043').length, 1);
      await fresh.stop();

      // quiet removal of a device libusb knows: no detach, and libusb keeps listing it
      const removeMark = probe.messages.length;
      await testbed.remove(loud.path, { quiet: true });
      await probe.waitFor(
        'inotify event for 041 removal',
        (message) => message.event === 'watch' && message.filename === '041',
        removeMark,
      );
      devices = await probe.list();
      assert.equal(byIds(devices, '2341', '0001').length, 1, 'libusb still lists the quietly removed device');
      assert.equal(probe.events('detach', removeMark).length, 0);
      await testbed.remove(quiet.path, { quiet: true });
      await probe.stop();
    },
  );

  test('(c) Node fs inside the testbed: what is redirected and what sees the real machine', { skip }, async () => {
    const device = await testbed.addUsbDevice({
      port: '9-3.2',
      devnum: 12,
      vendorId: '046d',
      productId: '0825',
      product: 'Webcam C270',
      serial: '8C3A1D50',
      interfaces: [
        { class: 0x0e, subclass: 1, driver: 'uvcvideo' },
        { class: 0x0e, subclass: 2, driver: 'uvcvideo' },
        { class: 0x01, subclass: 1, driver: 'snd-usb-audio' },
      ],
    });
    const probe = await startProbe();
    const results = (await probe.request({ cmd: 'fs', sysname: device.sysname, devnode: device.devnode }))
      .results as Record<string, Outcome>;
    const seen = (name: string) => {
      const outcome = results[name];
      assert.ok(outcome, name);
      return outcome;
    };
    // redirected: these see the testbed
    for (const name of ['readFileSync', 'promises.readFile', 'openSync+readSync'])
      assert.deepEqual(seen(name), { ok: true, value: '046d\n' }, name);
    assert.deepEqual(seen('existsSync'), { ok: true, value: true });
    assert.deepEqual(seen('existsSync(attribute)'), { ok: true, value: true });
    assert.deepEqual(seen('accessSync'), { ok: true, value: true });
    const target = '../../../devices/pci0000:00/0000:00:14.0/usb9/9-3/9-3.2';
    assert.deepEqual(seen('readlinkSync'), { ok: true, value: target });
    assert.deepEqual(seen('promises.readlink'), { ok: true, value: target });
    assert.deepEqual(seen('realpathSync.native'), { ok: true, value: device.path });
    assert.deepEqual(
      seen('promises.realpath'),
      { ok: true, value: device.path },
      'fs.promises.realpath is libuv realpath(3) too',
    );
    const names = ['9-0:1.0', '9-3', '9-3.2', '9-3.2:1.0', '9-3.2:1.1', '9-3.2:1.2', '9-3:1.0', 'usb9'];
    const onBus9 = (name: string) => {
      const outcome = seen(name);
      assert.ok(outcome.ok, `${name}: ${JSON.stringify(outcome)}`);
      return (outcome.value as string[]).filter((entry) => /^(9-|usb9$)/.test(entry));
    };
    assert.deepEqual(onBus9('opendirSync'), names);
    assert.deepEqual(onBus9('promises.opendir'), names);
    assert.deepEqual(seen('opendirSync(dev)'), { ok: true, value: ['001', '012', '127'] });
    assert.deepEqual(seen('existsSync(devnode)'), { ok: true, value: true });
    const raw = seen('readFileSync(devnode)');
    assert.ok(
      raw.ok && typeof raw.value === 'string' && raw.value.startsWith('12010002'),
      'the node holds the descriptors, like usbfs',
    );

    // not redirected: these look at the real machine, where the fake device does not exist
    const missesTheFake = (name: string, fakeName: string) => {
      const outcome = seen(name);
      assert.ok(
        !outcome.ok || !(outcome.value as string[]).includes(fakeName),
        `${name} must not see ${fakeName}: ${JSON.stringify(outcome)}`,
      );
    };
    missesTheFake('readdirSync', '9-3.2');
    missesTheFake('promises.readdir', '9-3.2');
    missesTheFake('readdirSync(dev)', '012');
    for (const name of ['statSync', 'lstatSync', 'statSync(attribute)', 'statSync(devnode)', 'realpathSync']) {
      assert.deepEqual(seen(name), { ok: false, code: 'ENOENT' }, name);
    }

    // inotify (fs.watch) is redirected: watching /dev/bus/usb sees a new bus, /dev/bus/usb/009 a new node
    await probe.request({ cmd: 'watch', path: '/dev/bus/usb' });
    await probe.request({ cmd: 'watch', path: '/dev/bus/usb/009' });
    const mark = probe.messages.length;
    const second = await testbed.addUsbDevice({ port: '9-4', devnum: 13, vendorId: '046d', productId: '0826' });
    await testbed.addUsbDevice({ port: '10-1', devnum: 2, vendorId: '046d', productId: '0827' });
    await probe.waitFor(
      'fs.watch on /dev/bus/usb/009 sees 013',
      (message) => message.event === 'watch' && message.path === '/dev/bus/usb/009' && message.filename === '013',
      mark,
    );
    await probe.waitFor(
      'fs.watch on /dev/bus/usb sees bus 010',
      (message) => message.event === 'watch' && message.path === '/dev/bus/usb' && message.filename === '010',
      mark,
    );
    const removeMark = probe.messages.length;
    await testbed.remove(second.path);
    await probe.waitFor(
      'fs.watch sees 013 go',
      (message) => message.event === 'watch' && message.filename === '013',
      removeMark,
    );
    await probe.stop();
  });
});
