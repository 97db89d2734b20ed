// `interfaceClass` as authors write it: any case is accepted (matching ignores case), and a
// near miss gets one error naming the class meant, on the value (or the list item) itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import { detectMismatch } from '../../engine/match/detect-checks.js';
import { profileSchema } from '../../engine/profiles/profile-schema.js';
import { validateProfileText } from '../../engine/profiles/validate-profile.js';

const backends = builtInBackendNames();
const context = { backends, schema: profileSchema(backends) };
const check = (interfaceClass: string) =>
  validateProfileText(
    'p.yaml',
    `name: p\ndetect:\n  usb:\n    vendorId: "046d"\n    interfaceClass: ${interfaceClass}\nmap: {}\nnotify: [{ backend: stdout }]\n`,
    context,
  );

test('a class name in any case is valid and matches the device', () => {
  for (const written of ['hid', 'HID', 'Hid', '"03"', 'mass storage', '[video, Audio]'])
    assert.deepEqual(check(written).issues, [], written);
  const profile = check('hid').profile!;
  const keyboard = {
    usb: {
      vendorId: '046d',
      productId: 'c31c',
      interfaces: [{ number: 0, class: '03', subclass: '01', protocol: '01', driver: 'usbhid', className: 'HID' }],
    },
  };
  assert.equal(detectMismatch(profile.detect, keyboard as never), undefined);
});

test('a near miss is one error on the value naming the class meant; a list item is pointed at', () => {
  const [typo, ...rest] = check('Vidoe').issues;
  assert.deepEqual(rest, []);
  assert.deepEqual([typo!.code, typo!.line, typo!.col], ['invalid-value', 5, 21]);
  assert.match(typo!.message, /did you mean `Video`\?$/);
  assert.ok(typo!.message.length < 160, typo!.message);
  const [item, ...others] = check('[Video, Audoi]').issues;
  assert.deepEqual(others, []);
  assert.deepEqual([item!.code, item!.line, item!.col], ['invalid-value', 5, 29]);
  assert.match(item!.message, /did you mean `Audio`\?$/);
});
