/*
 * `file.usb` and `file.pci`: the devices a device node belongs to, from /sys/dev/{char,block}.
 * Checked against umockdev's real recordings (a FIDO2 key, a keyboard), a built GPU, and this
 * machine's own /dev/null, plain files and broken sysfs entries.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { readDeviceParents } from '../../engine/sources/file/device-parents.js';
import { readFileFacts } from '../../engine/sources/file/file-facts.js';
import { GPU_PCI, GPU_TEXT } from './node-devices.js';
import { DEVICES_DIR, startTestbed, umockdevAvailable, type Testbed } from './testbed.js';

const skip = umockdevAvailable();

async function withTestbed(body: (testbed: Testbed, sys: string) => Promise<void>): Promise<void> {
  const testbed = await startTestbed();
  try {
    await body(testbed, path.join(testbed.root, 'sys'));
  } finally {
    await testbed.close();
  }
}

describe('file.usb and file.pci', () => {
  test(
    'real recording: the FIDO2 key hidraw node belongs to the Yubico key, on the AMD xHCI controller',
    { skip },
    () =>
      withTestbed(async (testbed, sys) => {
        await testbed.addFromFile(path.join(DEVICES_DIR, 'fido2.umockdev'));
        const { usb, pci } = readDeviceParents('character', 240, 5, sys);
        assert.deepEqual(
          [usb?.vendorId, usb?.productId, usb?.manufacturer, usb?.product, usb?.serialNumber, usb?.portPath],
          ['1050', '0120', 'Yubico', 'Security Key by Yubico', null, '1-2.3'],
        );
        assert.deepEqual(
          usb?.nodes?.map((node) => node.devnode),
          ['/dev/hidraw5'],
        );
        assert.deepEqual(pci, {
          vendorId: '1022',
          deviceId: '15e0',
          subsystemVendorId: '1849',
          subsystemDeviceId: '7914',
          classCode: '0c0330',
          driver: 'xhci_hcd',
          slot: '0000:05:00.3',
          vendorName: 'Advanced Micro Devices, Inc. [AMD]',
          deviceName: 'Raven USB 3.1',
          className: 'USB controller',
        });
        // The USB device's own node is below the same controller, and is its own USB device.
        assert.equal(readDeviceParents('character', 189, 11, sys).usb?.portPath, '1-2.3');
      }),
  );

  test(
    'real recording: the keyboard event node belongs to 05f3:0007 behind its hubs, on the Intel EHCI controller',
    { skip },
    () =>
      withTestbed(async (testbed, sys) => {
        await testbed.addFromFile(path.join(DEVICES_DIR, 'usbkbd.umockdev'));
        const { usb, pci } = readDeviceParents('character', 13, 69, sys);
        assert.deepEqual([usb?.vendorId, usb?.productId, usb?.portPath], ['05f3', '0007', '1-1.5.4.2']);
        assert.deepEqual(
          [pci?.vendorId, pci?.deviceId, pci?.subsystemVendorId, pci?.subsystemDeviceId, pci?.driver, pci?.slot],
          ['8086', '3b3c', '17aa', '2163', 'ehci-pci', '0000:00:1a.0'],
        );
      }),
  );

  test('a GPU render node has its PCI device and no USB device', { skip }, () =>
    withTestbed(async (testbed, sys) => {
      await testbed.addFromString(GPU_TEXT);
      assert.deepEqual(readDeviceParents('character', 226, 128, sys), { usb: null, pci: GPU_PCI });
      // A block device number is looked up among block devices, not character ones.
      assert.deepEqual(readDeviceParents('block', 226, 128, sys), { usb: null, pci: null });
    }),
  );

  test('/dev/null, plain files, unknown numbers and broken sysfs entries: nulls or nothing, never a crash', async () => {
    const facts = await readFileFacts('/dev/null');
    assert.deepEqual([facts?.type, facts?.usb, facts?.pci], ['character', null, null]);
    const folder = mkdtempSync(path.join(os.tmpdir(), 'parents-'));
    try {
      const plain = path.join(folder, 'plain');
      writeFileSync(plain, 'x');
      const plainFacts = await readFileFacts(plain);
      assert.equal(plainFacts?.type, 'file');
      assert.equal('usb' in plainFacts! || 'pci' in plainFacts!, false, 'a plain file is no device: no parents at all');

      // A copy of sysfs with a dangling link, a link into a folder with no attributes, and a PCI device whose ids are garbage.
      const sys = path.join(folder, 'sys');
      mkdirSync(path.join(sys, 'dev', 'char'), { recursive: true });
      symlinkSync('../../devices/gone', path.join(sys, 'dev', 'char', '1:1'));
      const odd = path.join(sys, 'devices', 'pci0000:00', '0000:00:02.0');
      mkdirSync(path.join(odd, 'drm', 'card1'), { recursive: true });
      mkdirSync(path.join(sys, 'bus', 'pci'), { recursive: true });
      symlinkSync('../../../bus/pci', path.join(odd, 'subsystem'));
      writeFileSync(path.join(odd, 'vendor'), 'garbage\n');
      symlinkSync('../../devices/pci0000:00/0000:00:02.0/drm/card1', path.join(sys, 'dev', 'char', '226:1'));
      assert.deepEqual(readDeviceParents('character', 1, 1, sys), { usb: null, pci: null });
      assert.deepEqual(readDeviceParents('character', 226, 1, sys), { usb: null, pci: null });
      assert.deepEqual(readDeviceParents('character', 999, 999, sys), { usb: null, pci: null });
      assert.deepEqual(readDeviceParents('file', null, null, sys), { usb: null, pci: null });
      assert.deepEqual(readDeviceParents('character', 1, 1, path.join(folder, 'no-sys')), { usb: null, pci: null });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
