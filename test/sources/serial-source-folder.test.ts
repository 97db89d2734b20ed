// The serial source over a sysfs-shaped folder of real files, in polling mode: a port losing part
// of what it had (udev's links go before the tty on an unplug) is not reported changed at once.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../engine/core/log.js';
import type { DeviceEvent } from '../../engine/core/device-event.js';
import { SerialSource } from '../../engine/sources/serial/serial-source.js';
import type { SerialSysfsFolders } from '../../engine/sources/serial/serial-sysfs.js';
import { waitFor } from '../daemon/engine-process.js';

/** A sysfs and /dev of real files: UARTs on a platform device, each tty with a by-id link. */
function fakeHost(): {
  root: string;
  folders: SerialSysfsFolders;
  addTty(name: string, options?: { dev: boolean }): void;
  removeTty(name: string): void;
} {
  const root = mkdtempSync(path.join(tmpdir(), 'serial-sysfs-'));
  const folders: SerialSysfsFolders = {
    ttyClass: path.join(root, 'sys/class/tty'),
    usbDevices: path.join(root, 'sys/bus/usb/devices'),
    serialLinks: path.join(root, 'dev/serial'),
    dev: path.join(root, 'dev'),
  };
  for (const folder of [folders.ttyClass, folders.usbDevices, path.join(folders.serialLinks, 'by-id')])
    mkdirSync(folder, { recursive: true });
  return {
    root,
    folders,
    addTty(name, { dev } = { dev: true }) {
      const uart = path.join(root, 'sys/devices/platform', `uart-${name}`);
      const tty = path.join(uart, 'tty', name);
      mkdirSync(tty, { recursive: true });
      symlinkSync('../../../../bus/platform/drivers/fake-uart', path.join(uart, 'driver'));
      symlinkSync('../..', path.join(tty, 'device'));
      writeFileSync(path.join(tty, 'uevent'), `DEVNAME=${name}\n`);
      symlinkSync(`../../devices/platform/uart-${name}/tty/${name}`, path.join(folders.ttyClass, name));
      if (!dev) return;
      writeFileSync(path.join(folders.dev, name), '');
      symlinkSync(`../../${name}`, path.join(folders.serialLinks, 'by-id', `fake-${name}`));
    },
    removeTty(name) {
      unlinkSync(path.join(folders.ttyClass, name));
      unlinkSync(path.join(folders.dev, name));
    },
  };
}

async function withSource(
  lossWaitMs: number,
  body: (host: ReturnType<typeof fakeHost>, events: DeviceEvent[]) => Promise<void>,
): Promise<void> {
  const host = fakeHost();
  const events: DeviceEvent[] = [];
  const source = new SerialSource(
    { emit: (event) => events.push(event), log: createLogger('error', () => {}) },
    { mode: 'polling', pollIntervalMs: 20, folders: host.folders, lossWaitMs },
  );
  try {
    host.addTty('ttyFAKE0');
    await source.start();
    assert.deepEqual(
      events.map((event) => `${event.action} ${event.key} ${event.facts.serial?.byId}`),
      ['add serial:/dev/ttyFAKE0 /dev/serial/by-id/fake-ttyFAKE0'],
    );
    await body(host, events);
  } finally {
    await source.stop();
    rmSync(host.root, { recursive: true, force: true });
  }
}

test('a port whose by-id link goes before it (an unplug) is one remove, with the facts it had', async () => {
  await withSource(600_000, async (host, events) => {
    unlinkSync(path.join(host.folders.serialLinks, 'by-id/fake-ttyFAKE0'));
    // Another port plugged in: the look that reports it has also seen the link gone.
    host.addTty('ttyFAKE1');
    await waitFor('the second port', () => events.some((event) => event.key === 'serial:/dev/ttyFAKE1'));
    host.removeTty('ttyFAKE0');
    await waitFor('the first port gone', () => events.some((event) => event.action === 'remove'));
    assert.deepEqual(
      events
        .filter((event) => event.key === 'serial:/dev/ttyFAKE0')
        .map((event) => `${event.action} ${event.facts.serial?.byId}`),
      ['add /dev/serial/by-id/fake-ttyFAKE0', 'remove /dev/serial/by-id/fake-ttyFAKE0'],
    );
  });
});

test('a port that keeps without its link is reported changed once the loss has lasted', async () => {
  await withSource(50, async (host, events) => {
    unlinkSync(path.join(host.folders.serialLinks, 'by-id/fake-ttyFAKE0'));
    await waitFor('the change', () => events.some((event) => event.action === 'change'));
    assert.deepEqual(
      events.map((event) => `${event.action} ${event.facts.serial?.byId}`),
      ['add /dev/serial/by-id/fake-ttyFAKE0', 'change null'],
    );
  });
});

test('a link that comes back within the wait is no change at all', async () => {
  await withSource(600_000, async (host, events) => {
    const link = path.join(host.folders.serialLinks, 'by-id/fake-ttyFAKE0');
    unlinkSync(link);
    host.addTty('ttyFAKE1');
    await waitFor('the second port', () => events.some((event) => event.key === 'serial:/dev/ttyFAKE1'));
    symlinkSync('../../ttyFAKE0', link);
    host.addTty('ttyFAKE2');
    await waitFor('the third port', () => events.some((event) => event.key === 'serial:/dev/ttyFAKE2'));
    assert.deepEqual(
      events.map((event) => `${event.action} ${event.key}`),
      ['add serial:/dev/ttyFAKE0', 'add serial:/dev/ttyFAKE1', 'add serial:/dev/ttyFAKE2'],
    );
  });
});

test('auto mode: a port whose events were lost is seen at the next resync', async () => {
  const host = fakeHost();
  const events: DeviceEvent[] = [];
  const source = new SerialSource(
    { emit: (event) => events.push(event), log: createLogger('error', () => {}) },
    { mode: 'auto', resyncMs: 200, folders: host.folders },
  );
  try {
    await source.start();
    assert.equal(source.status().mode, 'inotify');
    await waitFor('no rescan to come', () => !source.status().settling);
    // In sysfs, but nothing in the watched /dev: as if inotify had dropped its events.
    host.addTty('ttyFAKE3', { dev: false });
    await waitFor('the add', () => events.length === 1);
    assert.deepEqual(
      events.map((event) => `${event.action} ${event.key}`),
      ['add serial:/dev/ttyFAKE3'],
    );
  } finally {
    await source.stop();
    rmSync(host.root, { recursive: true, force: true });
  }
});
