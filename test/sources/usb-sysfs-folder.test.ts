// The USB source over a sysfs-shaped folder of real files, in polling mode: how it reads facts
// and waits for a device's interfaces.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../engine/core/log.js';
import type { DeviceEvent } from '../../engine/core/device-event.js';
import { UsbSource } from '../../engine/sources/usb/usb-source.js';
import { waitFor } from '../daemon/engine-process.js';

function writeDevice(root: string, port: string, attributes: Record<string, string>): void {
  mkdirSync(path.join(root, port), { recursive: true });
  for (const [name, value] of Object.entries(attributes)) writeFileSync(path.join(root, port, name), `${value}\n`);
}

function writeInterface(root: string, port: string, number: number, interfaceClass: string, driver?: string): void {
  const folder = path.join(root, `${port}:1.${number}`);
  mkdirSync(folder, { recursive: true });
  for (const [name, value] of Object.entries({
    bInterfaceNumber: `0${number}`,
    bInterfaceClass: interfaceClass,
    bInterfaceSubClass: '00',
    bInterfaceProtocol: '00',
  }))
    writeFileSync(path.join(folder, name), `${value}\n`);
  if (driver) symlinkSync(`../../../bus/usb/drivers/${driver}`, path.join(folder, 'driver'));
}

const camera = {
  idVendor: '046d',
  idProduct: '0825',
  busnum: '1',
  devnum: '7',
  bNumInterfaces: ' 2',
  manufacturer: 'Logitech',
  product: 'Webcam C270',
  bcdDevice: '0012',
  bDeviceClass: 'ef',
};

test('a new device is reported once, whole: not before the interfaces it declares exist', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'usb-sysfs-'));
  const events: DeviceEvent[] = [];
  const source = new UsbSource(
    { emit: (event) => events.push(event), log: createLogger('error', () => {}) },
    { mode: 'polling', pollIntervalMs: 50, devicesFolder: root, devFolder: path.join(root, 'no-dev') },
  );
  try {
    await source.start();
    assert.equal(source.status().mode, 'polling');
    writeDevice(root, '1-1.2', camera);
    writeInterface(root, '1-1.2', 0, '0e', 'uvcvideo');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(events.length, 0, 'held back while one of two interfaces is missing');
    writeInterface(root, '1-1.2', 1, '0e');
    await waitFor('the add', () => events.length === 1);
    const usb = events[0]!.facts.usb!;
    assert.equal(events[0]!.action, 'add');
    assert.equal(events[0]!.key, 'usb:1-1.2');
    assert.deepEqual(usb.interfaces, [
      { number: 0, class: '0e', subclass: '00', protocol: '00', driver: 'uvcvideo', name: null, className: 'Video' },
      { number: 1, class: '0e', subclass: '00', protocol: '00', driver: null, name: null, className: 'Video' },
    ]);
    assert.equal(usb.devicePath, '/dev/bus/usb/001/007');
    assert.equal(usb.deviceClass, 'ef');
  } finally {
    await source.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a device that never gets all its declared interfaces is reported after a short wait', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'usb-sysfs-'));
  const events: DeviceEvent[] = [];
  const source = new UsbSource(
    { emit: (event) => events.push(event), log: createLogger('error', () => {}) },
    { mode: 'polling', pollIntervalMs: 50, devicesFolder: root, devFolder: path.join(root, 'no-dev') },
  );
  try {
    await source.start();
    const written = Date.now();
    writeDevice(root, '2-1', camera);
    writeInterface(root, '2-1', 0, '0e');
    await waitFor('the add', () => events.length === 1);
    assert.ok(Date.now() - written >= 2000, 'it was held back first');
    assert.equal(events[0]!.facts.usb!.interfaces!.length, 1);
  } finally {
    await source.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('devices present at start-up are reported at once, complete or not', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'usb-sysfs-'));
  writeDevice(root, '1-3', camera);
  const events: DeviceEvent[] = [];
  const source = new UsbSource(
    { emit: (event) => events.push(event), log: createLogger('error', () => {}) },
    { mode: 'polling', pollIntervalMs: 50, devicesFolder: root, devFolder: path.join(root, 'no-dev') },
  );
  try {
    await source.start();
    assert.deepEqual(
      events.map((event) => `${event.action} ${event.key}`),
      ['add usb:1-3'],
    );
  } finally {
    await source.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('inotify mode: a device whose events were lost is seen at the next resync', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'usb-sysfs-'));
  const devices = path.join(root, 'devices');
  const dev = path.join(root, 'dev-bus-usb');
  for (const folder of [devices, path.join(dev, '001'), path.join(root, 'nodes')])
    mkdirSync(folder, { recursive: true });
  const events: DeviceEvent[] = [];
  const source = new UsbSource(
    { emit: (event) => events.push(event), log: createLogger('error', () => {}) },
    { mode: 'inotify', resyncMs: 200, devicesFolder: devices, devFolder: dev, nodesFolder: path.join(root, 'nodes') },
  );
  try {
    await source.start();
    assert.equal(source.status().mode, 'inotify');
    await waitFor('no rescan to come', () => !source.status().settling);
    // In sysfs, but no node in the watched bus folder: as if inotify had dropped its events.
    writeDevice(devices, '1-4', { ...camera, bNumInterfaces: ' 1' });
    writeInterface(devices, '1-4', 0, '0e');
    await waitFor('the add', () => events.length === 1);
    assert.deepEqual(
      events.map((event) => `${event.action} ${event.key}`),
      ['add usb:1-4'],
    );
  } finally {
    await source.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
