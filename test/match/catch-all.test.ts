/*
 * A catch-all USB profile (`usb: {}`): it matches every USB device and always ranks below the
 * specific profiles, whatever its priority; validate warns unless its priority is below zero.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import type { Facts } from '../../engine/core/facts.js';
import { matchDevice, ProfileIndex } from '../../engine/match/matcher.js';
import { profileSchema } from '../../engine/profiles/profile-schema.js';
import { validateProfileText } from '../../engine/profiles/validate-profile.js';
import { profileFromYaml, yaml } from './profile-text.js';

const catchAll = (priority?: number) =>
  yaml(
    'name: every-usb-device',
    ...(priority === undefined ? [] : [`priority: ${priority}`]),
    'detect:',
    '  usb: {}',
    'map: { classes: [usb] }',
    'notify: [{ backend: stdout }]',
  );

const keyboard: Facts = {
  usb: {
    vendorId: '04d9',
    productId: '1702',
    manufacturer: null,
    product: 'USB Keyboard',
    portPath: '1-6',
    interfaces: [],
  },
};
const gps: Facts = {
  usb: {
    vendorId: '1546',
    productId: '01a7',
    manufacturer: 'u-blox AG',
    product: 'u-blox 7',
    portPath: '1-1.4',
    interfaces: [],
  },
};

describe('catch-all USB profile', () => {
  test('matches any USB device, and nothing that is not one', () => {
    const index = new ProfileIndex([profileFromYaml(catchAll(-1), 'all.yaml')]);
    assert.equal(matchDevice(index, 'usb', keyboard).winner?.profile.name, 'every-usb-device');
    assert.equal(matchDevice(index, 'usb', gps).winner?.profile.name, 'every-usb-device');
    assert.equal(
      matchDevice(index, 'file', { file: { path: '/dev/video0', name: 'video0', dir: '/dev', type: 'char' } }).winner,
      undefined,
    );
  });

  test('ranks below a specific profile even with a higher priority; among catch-alls the usual order', () => {
    const eager = profileFromYaml(catchAll(1000), 'all.yaml');
    const gpsProfile = profileFromYaml(
      yaml(
        'name: gps',
        'priority: -50',
        'detect:',
        '  usb: { vendorId: "1546" }',
        'map: { classes: [gps] }',
        'notify: [{ backend: stdout }]',
      ),
      'gps.yaml',
    );
    const byWhen = profileFromYaml(
      yaml(
        'name: keyboards',
        'priority: -50',
        'detect:',
        '  usb: {}',
        '  when: { glob: ["*keyboard*", { var: usb.product }] }',
        'map: { classes: [hid] }',
        'notify: [{ backend: stdout }]',
      ),
      'keyboards.yaml',
    );
    for (const order of [
      [eager, gpsProfile],
      [gpsProfile, eager],
    ]) {
      const result = matchDevice(new ProfileIndex(order), 'usb', gps);
      assert.equal(result.winner?.profile.name, 'gps');
      assert.match(
        result.candidates.find((item) => item.profile === 'every-usb-device')!.reason!,
        /gps takes precedence/,
      );
    }
    // `usb: {}` with a `when` is a catch-all too (the engine cannot know how narrow the `when` is):
    // below the specific profile; among catch-alls the usual order holds, the `when` counting one key.
    assert.equal(matchDevice(new ProfileIndex([eager, byWhen, gpsProfile]), 'usb', gps).winner?.profile.name, 'gps');
    assert.equal(matchDevice(new ProfileIndex([eager, byWhen]), 'usb', keyboard).winner?.profile.name, 'keyboards');
  });

  test('validate warns (catch-all) unless the priority is explicitly below zero', () => {
    const backends = builtInBackendNames();
    const codes = (text: string) =>
      validateProfileText('all.yaml', text, { backends, schema: profileSchema(backends) }).issues.map(
        (issue) => `${issue.severity} ${issue.code} ${issue.line}:${issue.col}`,
      );
    assert.deepEqual(codes(catchAll()), ['warning catch-all 3:8']);
    assert.deepEqual(codes(catchAll(0)), ['warning catch-all 4:8']);
    assert.deepEqual(codes(catchAll(5)), ['warning catch-all 4:8']);
    assert.deepEqual(codes(catchAll(-1)), []);
  });
});
