/*
 * The usb.ids database: names for devices without strings of their own, read once, on demand;
 * no file means null names and one info line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createLogger } from '../../engine/core/log.js';
import { parseUsbIds, UsbIdsDatabase, USB_IDS_FILES } from '../../engine/sources/usb/usb-ids.js';

const SAMPLE = `#
# List of USB ID's
#	Syntax:
#	vendor  vendor_name
#		device  device_name				<-- single tab
0658  Sigma Designs, Inc.
	0200  Aeotec Z-Stick Gen5 (ZW090) - UZB
	0280  ZWave programming interface
1a86  QinHeng Electronics
	7523  CH340 serial converter
\t\t00  an interface line, ignored

# List of known device classes, subclasses and protocols
C 02  Communications
	02  Abstract (modem)
		01  AT-commands (v.25ter)
`;

function logged() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)) };
}

describe('usb.ids', () => {
  test('parses vendors and their products, and nothing of the class list after them', () => {
    const vendors = parseUsbIds(SAMPLE);
    assert.deepEqual([...vendors.keys()], ['0658', '1a86']);
    assert.deepEqual(
      [...vendors.get('0658')!.products],
      [
        ['0200', 'Aeotec Z-Stick Gen5 (ZW090) - UZB'],
        ['0280', 'ZWave programming interface'],
      ],
    );
    assert.deepEqual([...vendors.get('1a86')!.products.keys()], ['7523']);
  });

  test('names a vendor and product; an unknown product keeps the vendor name', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'usb-ids-'));
    try {
      writeFileSync(path.join(folder, 'usb.ids'), SAMPLE);
      const database = new UsbIdsDatabase([path.join(folder, 'absent.ids'), path.join(folder, 'usb.ids')]);
      const { lines, log } = logged();
      assert.deepEqual(database.names('0658', '0200', log), {
        vendor: 'Sigma Designs, Inc.',
        product: 'Aeotec Z-Stick Gen5 (ZW090) - UZB',
      });
      assert.deepEqual(database.names('1a86', 'ffff', log), { vendor: 'QinHeng Electronics', product: null });
      assert.deepEqual(database.names('ffff', '0001', log), { vendor: null, product: null });
      // Read once: removing the file changes nothing.
      rmSync(path.join(folder, 'usb.ids'));
      assert.equal(database.names('0658', '0280').product, 'ZWave programming interface');
      assert.deepEqual(lines, []);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('no file: every name is null, with one info line however many devices ask', () => {
    const database = new UsbIdsDatabase(['/nonexistent/usb.ids', '/nonexistent/hwdata/usb.ids']);
    const { lines, log } = logged();
    for (let index = 0; index < 5; index++)
      assert.deepEqual(database.names('0658', '0200', log), { vendor: null, product: null });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 'info');
    assert.match(String(lines[0]!.msg), /no usb\.ids database/);
    assert.deepEqual(lines[0]!.tried, ['/nonexistent/usb.ids: ENOENT', '/nonexistent/hwdata/usb.ids: ENOENT']);
  });

  test('the database this machine has (the usb.ids or hwdata package) names the Aeotec stick as udev does', () => {
    const names = new UsbIdsDatabase(USB_IDS_FILES).names('0658', '0200');
    assert.deepEqual(names, { vendor: 'Sigma Designs, Inc.', product: 'Aeotec Z-Stick Gen5 (ZW090) - UZB' });
  });
});
