/*
 * The engine's serial enumeration and probePort, run inside a umockdev testbed against ttys whose
 * other end ctl.py drives: a GPS streaming NMEA, a modem answering AT, a silent device, a device
 * flooding garbage, a port held by another program, and permissions that arrive late.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProbeOutcome } from '../../engine/probe/probe-port.js';
import type { SerialPortFacts } from '../../engine/sources/serial/serial-sysfs.js';
import { ROOT } from '../paths.js';
import { startTestbed, umockdevAvailable, type Testbed } from './testbed.js';

const skip = umockdevAvailable();
const CHILD = path.join(ROOT, 'dist', 'test', 'umockdev', 'serial-probe-child.js');

interface ChildReport {
  ports: SerialPortFacts[];
  outcome?: ProbeOutcome;
  elapsedMs: number;
}

function runChild(
  testbed: Testbed,
  args: string[],
  options: { uid?: number; gid?: number } = {},
  onStderr: (text: string) => void = () => undefined,
  onSpawn: (child: ChildProcess) => void = () => undefined,
): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = testbed.spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    onSpawn(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk) => (out += chunk));
    child.stderr!.on('data', (chunk) => {
      err += chunk;
      onStderr(err);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child exited ${code}: ${err}`));
      resolve(JSON.parse(out) as ChildReport);
    });
  });
}

/** The lock folder of these tests: the real /run/lock would be shared with every other test run. */
let lockDir: string;

const probe = (
  testbed: Testbed,
  node: string,
  spec: Record<string, unknown>,
  options: Record<string, unknown> = {},
  as: { uid?: number; gid?: number } = {},
  onStderr?: (text: string) => void,
  onSpawn?: (child: ChildProcess) => void,
) =>
  runChild(
    testbed,
    [node, JSON.stringify(spec), JSON.stringify({ lockFolders: [lockDir], ...options })],
    as,
    onStderr,
    onSpawn,
  );

const NMEA = '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n';

describe('serial ports and probes under umockdev', { skip }, () => {
  let testbed: Testbed;
  before(async () => {
    testbed = await startTestbed();
    lockDir = mkdtempSync(path.join(tmpdir(), 'engine-locks-'));
    const ftdi = await testbed.addUsbDevice({
      port: '1-1.4',
      vendorId: '0403',
      productId: '6001',
      manufacturer: 'FTDI',
      product: 'FT232R USB UART',
      serial: 'A50285BI',
      interfaces: [{ class: 0xff, driver: 'ftdi_sio' }],
    });
    await testbed.addTty({
      name: 'ttyUSB0',
      usb: ftdi.path,
      byId: 'usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0',
      byPath: 'pci-0000:00:14.0-usb-0:1.4:1.0-port0',
      responder: { stream: { text: NMEA, intervalMs: 100 } },
    });
    const modem = await testbed.addUsbDevice({
      port: '1-2',
      vendorId: '2c7c',
      productId: '0125',
      manufacturer: 'Quectel',
      product: 'EG25-G',
      interfaces: [0, 1, 2, 3].map((number) => ({ number, class: 0xff, driver: 'option' })),
    });
    await testbed.addTty({
      name: 'ttyUSB2',
      usb: modem.path,
      interface: 2,
      driver: 'option',
      responder: {
        replies: [
          {
            match: 'ATI\\r',
            text: 'ATI\r\r\nQuectel\r\nEG25\r\nRevision: EG25GGBR07A08M2G\r\n\r\nOK\r\n',
            delayMs: 50,
          },
          { match: 'AT\\r', text: 'AT\r\r\nOK\r\n' },
        ],
      },
    });
    const silent = await testbed.addUsbDevice({
      port: '1-3',
      vendorId: '10c4',
      productId: 'ea60',
      product: 'CP2102 USB to UART Bridge Controller',
      interfaces: [{ class: 0xff, driver: 'cp210x' }],
    });
    await testbed.addTty({ name: 'ttyUSB3', usb: silent.path, driver: 'cp210x' });
    const noisy = await testbed.addUsbDevice({
      port: '1-5',
      vendorId: '1a86',
      productId: '7523',
      interfaces: [{ class: 0xff, driver: 'ch341' }],
    });
    await testbed.addTty({
      name: 'ttyUSB5',
      usb: noisy.path,
      driver: 'ch341',
      responder: { flood: { bytes: 512, intervalMs: 5 } },
    });
    const acm = await testbed.addUsbDevice({
      port: '1-6',
      vendorId: '2341',
      productId: '0043',
      manufacturer: 'Arduino (www.arduino.cc)',
      serial: '75833353035351D0E1C1',
      interfaces: [
        { class: 2, subclass: 2, protocol: 1, driver: 'cdc_acm' },
        { class: 0x0a, driver: 'cdc_acm', number: 1 },
      ],
    });
    await testbed.addTty({
      name: 'ttyACM0',
      usb: acm.path,
      responder: { replies: [{ match: '\\?', text: 'weather-station v1.4 ready\r\n' }] },
    });
    // An Arduino Uno whose tty has modem lines: the auto-reset board a probe must not hold DTR on.
    const uno = await testbed.addUsbDevice({
      port: '1-7',
      vendorId: '2341',
      productId: '0043',
      manufacturer: 'Arduino (www.arduino.cc)',
      serial: '8573531373135151E1D1',
      interfaces: [
        { class: 2, subclass: 2, protocol: 1, driver: 'cdc_acm' },
        { class: 0x0a, driver: 'cdc_acm', number: 1 },
      ],
    });
    await testbed.addTty({
      name: 'ttyACM1',
      usb: uno.path,
      modemLines: true,
      responder: { replies: [{ match: '\\?', text: 'weather-station v1.4 ready\r\n' }] },
    });
  });
  after(async () => {
    await testbed?.close();
    rmSync(lockDir, { recursive: true, force: true });
  });

  test('enumeration: every tty with its USB parent, interface number, driver and udev links; ACM and usb-serial layouts', async () => {
    const { ports } = await runChild(testbed, []);
    const byKey = new Map(ports.map((port) => [port.key, port]));
    assert.deepEqual([...byKey.keys()].sort(), [
      'serial:1-1.4:if00',
      'serial:1-2:if02',
      'serial:1-3:if00',
      'serial:1-5:if00',
      'serial:1-6:if00',
      'serial:1-7:if00',
    ]);
    assert.deepEqual(byKey.get('serial:1-1.4:if00')!.serial, {
      path: '/dev/ttyUSB0',
      byId: '/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0',
      byPath: '/dev/serial/by-path/pci-0000:00:14.0-usb-0:1.4:1.0-port0',
      driver: 'ftdi_sio',
      usbDriver: 'ftdi_sio',
      interfaceNumber: 0,
      interfaceName: null,
      description: 'FT232R USB UART',
    });
    assert.equal(byKey.get('serial:1-1.4:if00')!.usb!.serialNumber, 'A50285BI');
    assert.deepEqual(byKey.get('serial:1-2:if02')!.serial, {
      path: '/dev/ttyUSB2',
      byId: null,
      byPath: null,
      driver: 'option',
      usbDriver: 'option',
      interfaceNumber: 2,
      interfaceName: null,
      description: 'EG25-G',
    });
    assert.equal(byKey.get('serial:1-2:if02')!.usb!.interfaces!.length, 4);
    assert.deepEqual(byKey.get('serial:1-6:if00')!.serial, {
      path: '/dev/ttyACM0',
      byId: null,
      byPath: null,
      driver: 'cdc_acm',
      usbDriver: 'cdc_acm',
      interfaceNumber: 0,
      interfaceName: null,
      description: null,
    });
    assert.equal(byKey.get('serial:1-6:if00')!.usb!.vendorId, '2341');
  });

  test('a GPS streaming NMEA is recognised by listening only; nothing is written to it', async () => {
    const { outcome } = await probe(testbed, '/dev/ttyUSB0', {
      baudRate: 9600,
      expect: '(?:^|\\n)\\$G[PNL](GGA|RMC|GSV),',
      timeoutMs: 2000,
    });
    assert.equal(outcome!.kind, 'matched');
    assert.deepEqual(outcome!.kind === 'matched' && outcome!.facts.groups, ['GGA']);
    assert.equal((await testbed.ttyReceived('ttyUSB0')).length, 0);
  });

  test('a modem answers ATI with its model and firmware', async () => {
    const { outcome } = await probe(testbed, '/dev/ttyUSB2', {
      baudRate: 115200,
      write: 'ATI\r',
      expect: 'Quectel\\r\\n(\\S+)\\r\\nRevision: (\\S+)',
      timeoutMs: 2000,
    });
    assert.equal(outcome!.kind, 'matched');
    assert.deepEqual(outcome!.kind === 'matched' && outcome!.facts.groups, ['EG25', 'EG25GGBR07A08M2G']);
    assert.equal((await testbed.ttyReceived('ttyUSB2')).toString('latin1'), 'ATI\r');
  });

  test('a silent device: no reply within the timeout, no match, the port is closed again', async () => {
    const { outcome, elapsedMs } = await probe(testbed, '/dev/ttyUSB3', {
      write: 'AT\r',
      expect: 'OK',
      timeoutMs: 400,
    });
    assert.deepEqual(outcome, { kind: 'no-match', reason: 'no reply within 400 ms' });
    assert.ok(elapsedMs >= 400 && elapsedMs < 3000, `took ${elapsedMs} ms`);
    // Closed: an exclusive open right after succeeds.
    assert.equal((await probe(testbed, '/dev/ttyUSB3', { expect: 'x', timeoutMs: 50 })).outcome!.kind, 'no-match');
  });

  test('a device flooding garbage: reading stops at the byte cap, long before the timeout', async () => {
    const { outcome, elapsedMs } = await probe(
      testbed,
      '/dev/ttyUSB5',
      { expect: '^\\$GP', timeoutMs: 20000 },
      { maxBytes: 2048 },
    );
    assert.equal(outcome!.kind, 'no-match');
    assert.match((outcome as { reason: string }).reason, /^2048 bytes without a matching reply$/);
    assert.ok(elapsedMs < 10000, `took ${elapsedMs} ms`);
  });

  test('an Arduino printing a banner when asked', async () => {
    const { outcome } = await probe(testbed, '/dev/ttyACM0', {
      baudRate: 115200,
      write: '?',
      expect: '^([\\w-]+) v([\\d.]+) ready',
      timeoutMs: 1000,
    });
    assert.deepEqual(outcome!.kind === 'matched' && outcome!.facts.groups, ['weather-station', '1.4']);
  });

  test('a port held by another program (exclusive lock) is skipped as busy, not waited for', async () => {
    const { pty } = await ptyOf(testbed, 'ttyUSB3');
    const holder = spawn('flock', ['--exclusive', '--no-fork', pty, 'sleep', '30'], { stdio: 'ignore' });
    try {
      await sleep(300);
      const { outcome } = await probe(testbed, '/dev/ttyUSB3', { write: 'AT\r', expect: 'OK', timeoutMs: 400 });
      assert.deepEqual(outcome, { kind: 'busy', reason: 'another program holds /dev/ttyUSB3 (exclusive lock)' });
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('a port with a lock file of a live process is skipped and its lock left alone; a stale lock file is removed and the port probed', async () => {
    const sleeper: ChildProcess = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(path.join(lockDir, 'LCK..ttyUSB0'), `${String(sleeper.pid).padStart(10)}\n`);
      const locked = await probe(
        testbed,
        '/dev/ttyUSB0',
        { expect: '\\$GP', timeoutMs: 500 },
        { lockFolders: [lockDir] },
      );
      assert.deepEqual(locked.outcome, {
        kind: 'busy',
        reason: `locked by process ${sleeper.pid} (${path.join(lockDir, 'LCK..ttyUSB0')})`,
      });
      assert.equal(
        readFileSync(path.join(lockDir, 'LCK..ttyUSB0'), 'latin1'),
        `${String(sleeper.pid).padStart(10)}\n`,
        "another process's lock is left as it was",
      );
    } finally {
      sleeper.kill('SIGKILL');
    }
    await waitUntil('the sleeper is gone', () => sleeper.exitCode !== null || sleeper.signalCode !== null);
    const stale = await probe(
      testbed,
      '/dev/ttyUSB0',
      { expect: '\\$GP', timeoutMs: 1000 },
      { lockFolders: [lockDir] },
    );
    assert.equal(stale.outcome!.kind, 'matched');
    assert.ok(!existsSync(path.join(lockDir, 'LCK..ttyUSB0')), 'the stale lock was removed, and ours after the probe');
  });

  test("the engine's own lock file (its pid, 10 characters and a newline) exists while it probes, and is gone after", async () => {
    const file = path.join(lockDir, 'LCK..ttyUSB3');
    let child: ChildProcess | undefined;
    let seen: string | undefined;
    const running = probe(
      testbed,
      '/dev/ttyUSB3',
      { write: 'AT\r', expect: 'OK', timeoutMs: 60_000 },
      {},
      {},
      undefined,
      (spawned) => (child = spawned),
    );
    await waitUntil('the lock file taken', () => {
      if (existsSync(file)) seen = readFileSync(file, 'latin1');
      return seen !== undefined && seen.length > 0;
    });
    // A second probe of the same port meanwhile (another engine, or minicom honouring the lock) keeps off.
    const second = await probe(testbed, '/dev/ttyUSB3', { expect: 'OK', timeoutMs: 200 });
    assert.deepEqual(second.outcome, { kind: 'busy', reason: `locked by process ${child!.pid} (${file})` });
    // The silent device answers only now: the first probe ends on that, not on a timer.
    await testbed.ttyWrite('ttyUSB3', 'OK\r\n');
    const { outcome } = await running;
    assert.equal(seen, `${String(child!.pid).padStart(10)}\n`);
    assert.equal(outcome!.kind, 'matched');
    assert.ok(!existsSync(file), 'removed once the probe closed the port');
  });

  test('a probe with dtr: false never raises DTR: lowered right after the open, before any byte, and left low', async () => {
    const quiet = await probe(testbed, '/dev/ttyACM1', { write: '?', expect: 'ready', timeoutMs: 2000, dtr: false });
    assert.equal(quiet.outcome!.kind, 'matched');
    const lines = await testbed.ttyLines('ttyACM1');
    // The tty layer raises both lines on open (Linux does, before any program can act): the
    // probe's only own change is lowering DTR, RTS left as it was.
    assert.deepEqual(lines.history, [
      { by: 'open', dtr: true, rts: true },
      { by: 'ioctl', dtr: false, rts: true },
    ]);
    assert.ok(lines.dtrAtBytes.length > 0 && lines.dtrAtBytes.every((dtr) => !dtr), 'every byte written with DTR low');
    assert.equal(lines.dtr, false, 'DTR low after the probe closed the port');
    assert.equal(lines.hupcl, false, 'opened without HUPCL: closing moves no line');

    // The default probe leaves the lines as the open set them, and HUPCL on.
    const usual = await probe(testbed, '/dev/ttyACM1', { write: '?', expect: 'ready', timeoutMs: 2000 });
    assert.equal(usual.outcome!.kind, 'matched');
    const after = await testbed.ttyLines('ttyACM1');
    assert.deepEqual(after.history.slice(2), [{ by: 'open', dtr: true, rts: true }]);
    assert.equal(after.dtrAtBytes.at(-1), true);
    assert.equal(after.hupcl, true);
  });

  test('a first open failing with EACCES is retried until udev has fixed the permissions, within a bound', async () => {
    // As root, permissions do not stop an open: the prober then runs as nobody, on a pty only root may open.
    const root = process.getuid?.() === 0;
    const as = root ? { uid: 65534, gid: 65534 } : {};
    if (root) {
      // nobody must be able to read the testbed and reach umockdev's ioctl socket.
      chmodSync(testbed.root, 0o755);
      chmodSync(path.join(testbed.root, 'ioctl', '_default'), 0o777);
    }
    const closed = root ? '600' : '000';
    await testbed.ttyChmod('ttyACM0', closed);
    try {
      const never = await probe(
        testbed,
        '/dev/ttyACM0',
        { write: '?', expect: 'ready', timeoutMs: 500 },
        { openRetryMs: 600 },
        as,
      );
      assert.equal(never.outcome!.kind, 'busy');
      assert.match(
        (never.outcome as { reason: string }).reason,
        /^cannot open \/dev\/ttyACM0 yet: .*Permission denied/,
      );
      // udev fixes the permissions only once the prober has been refused at least once (a
      // condition, not a delay: on a loaded machine the child may take seconds to get there).
      let refused = false;
      let fixed: Promise<void> | undefined;
      const later = probe(
        testbed,
        '/dev/ttyACM0',
        { write: '?', expect: 'ready', timeoutMs: 1000 },
        { openRetryMs: 30_000 },
        as,
        (stderr) => {
          if (fixed || !/"openRetry":".*Permission denied/.test(stderr)) return;
          refused = true;
          fixed = testbed.ttyChmod('ttyACM0', '666');
        },
      );
      const { outcome } = await later;
      await fixed;
      assert.ok(refused, 'the first open was refused');
      assert.equal(outcome!.kind, 'matched', 'and a later one, after the permissions changed, succeeded');
    } finally {
      await testbed.ttyChmod('ttyACM0', '666');
    }
  });
});

/** Polls a condition until it holds (bounded generously: the machine may be loaded). */
async function waitUntil(what: string, holds: () => boolean, boundMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!holds()) {
    if (Date.now() - started > boundMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The real pty behind a simulated tty node. */
async function ptyOf(testbed: Testbed, name: string): Promise<{ pty: string }> {
  const { readlinkSync } = await import('node:fs');
  return { pty: readlinkSync(path.join(testbed.root, 'dev', name)) };
}
