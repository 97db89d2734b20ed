/*
 * Ignore rules (the engine config's `ignore:` and `ignore: true` profiles) outrank every profile,
 * catch-alls and priorities included, and keep probes off the ports they match.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import { parseConfig } from '../../engine/config/load-config.js';
import type { Facts } from '../../engine/core/facts.js';
import { matchDevice, probeCandidates, ProfileIndex } from '../../engine/match/matcher.js';
import type { LoadedProfile } from '../../engine/profiles/profile.js';
import { desiredState } from '../../engine/reconcile/desired-state.js';
import { profileFromYaml, yaml } from './profile-text.js';

/** The rules of a config file written as a user would, through the real config loader. */
function configRules(text: string): LoadedProfile[] {
  const { config, issues } = parseConfig('/etc/engine/config.yaml', text, {});
  assert.ok(config, JSON.stringify(issues));
  return config.ignore;
}

const catchAll = profileFromYaml(
  yaml(
    'name: every-usb-device',
    'priority: 1000',
    'detect: { usb: {} }',
    'map: { classes: [usb] }',
    'notify: [{ backend: stdout }]',
  ),
  'all.yaml',
);
const upsProfile = profileFromYaml(
  yaml(
    'name: ups-by-ids',
    'priority: 1000',
    'detect:',
    '  usb: { vendorId: "0463", productId: "ffff", manufacturer: "EATON*" }',
    'map: { classes: [power] }',
    'notify: [{ backend: stdout }]',
  ),
  'ups.yaml',
);
const probingModem = profileFromYaml(
  yaml(
    'name: any-modem',
    'detect:',
    '  serial:',
    '    path: /dev/ttyUSB*',
    '    probe: { baudRate: 115200, write: "AT\\r", expect: "OK" }',
    'map: { classes: [modem] }',
    'notify: [{ backend: stdout }]',
  ),
  'modem.yaml',
);

const upsUsb = {
  vendorId: '0463',
  productId: 'ffff',
  manufacturer: 'EATON',
  product: 'Ellipse',
  serialNumber: 'UPS1',
  portPath: '1-2',
  interfaces: [],
};
const ups: Facts = { usb: upsUsb };
const upsTty: Facts = {
  usb: upsUsb,
  serial: { path: '/dev/ttyUSB0', byId: null, byPath: null, driver: 'cp210x', interfaceNumber: 0 },
};
const otherTty: Facts = {
  usb: { ...upsUsb, vendorId: '10c4', productId: 'ea60', manufacturer: 'Silicon Labs', portPath: '1-3' },
  serial: { path: '/dev/ttyUSB1', byId: null, byPath: null, driver: 'cp210x', interfaceNumber: 0 },
};

const UPS_RULE = `ignore:
  - name: ups-on-usb
    reason: the UPS belongs to nut
    detect:
      usb: { vendorId: "0463" }
`;

describe('ignore rules', () => {
  test('a config rule beats a catch-all, and a more specific profile of a higher priority', () => {
    const index = new ProfileIndex([catchAll, upsProfile], configRules(UPS_RULE));
    const result = matchDevice(index, 'usb', ups);
    assert.equal(result.winner, undefined);
    assert.deepEqual(result.ignored, {
      name: 'ups-on-usb',
      file: '/etc/engine/config.yaml',
      kind: 'config-rule',
      reason: 'the UPS belongs to nut',
    });
    assert.deepEqual(result.candidates.map((candidate) => [candidate.profile, candidate.matched]).sort(), [
      ['every-usb-device', false],
      ['ups-by-ids', false],
    ]);
    // Without the rule the device is registered, so the rule is what keeps it out.
    assert.equal(matchDevice(new ProfileIndex([catchAll, upsProfile]), 'usb', ups).winner?.profile.name, 'ups-by-ids');
  });

  test('an ignore profile does the same, and is never a winner of its own', () => {
    const leave = profileFromYaml(
      yaml('name: leave-ups', 'description: nut owns it', 'ignore: true', 'detect:', '  usb: { vendorId: "0463" }'),
      'leave-ups.yaml',
    );
    const index = new ProfileIndex([catchAll, upsProfile, leave]);
    assert.deepEqual(matchDevice(index, 'usb', ups).ignored, {
      name: 'leave-ups',
      file: 'leave-ups.yaml',
      kind: 'profile',
      reason: 'nut owns it',
    });
    const keyboard: Facts = { usb: { ...upsUsb, vendorId: '04d9', productId: '1702', portPath: '1-6' } };
    assert.equal(matchDevice(index, 'usb', keyboard).winner?.profile.name, 'every-usb-device');
    assert.equal(matchDevice(index, 'usb', keyboard).ignored, undefined);
  });

  test("a rule on a USB device's ids covers its ttys: none is probed; other ports still are", () => {
    const index = new ProfileIndex([probingModem], configRules(UPS_RULE));
    assert.deepEqual(probeCandidates(index, 'serial', upsTty), []);
    assert.equal(
      matchDevice(index, 'serial', upsTty, () => assert.fail('no probe verdict is asked for')).ignored?.name,
      'ups-on-usb',
    );
    assert.deepEqual(
      probeCandidates(index, 'serial', otherTty).map((entry) => entry.profile.name),
      ['any-modem'],
    );
  });

  test('a rule by port path and `when`; a `when` that is false ignores nothing', () => {
    const rules = configRules(`ignore:
  - name: modemmanager-port
    reason: ModemManager owns it
    detect:
      serial: { path: /dev/ttyUSB0 }
      when: { "==": [{ var: params.site }, "lab"] }
`);
    const index = new ProfileIndex([probingModem], rules);
    assert.equal(
      matchDevice(index, 'serial', { ...upsTty, params: { site: 'lab' } }).ignored?.name,
      'modemmanager-port',
    );
    assert.equal(matchDevice(index, 'serial', { ...upsTty, params: { site: 'plant' } }).ignored, undefined);
    assert.equal(matchDevice(index, 'serial', { ...otherTty, params: { site: 'lab' } }).ignored, undefined);
  });

  test('nothing is desired for an ignored device, while the others are delivered', () => {
    const index = new ProfileIndex([catchAll, upsProfile], configRules(UPS_RULE));
    const keyboard: Facts = { usb: { ...upsUsb, vendorId: '04d9', productId: '1702', portPath: '1-6' } };
    const state = desiredState({
      index,
      devices: [
        { key: 'usb:1-2', source: 'usb', facts: ups, since: '2026-01-01T00:00:00.000Z' },
        { key: 'usb:1-6', source: 'usb', facts: keyboard, since: '2026-01-01T00:00:00.000Z' },
      ],
      params: {},
      host: { hostname: 'gateway', arch: 'x64' },
      backends: builtInBackendNames(),
    });
    assert.deepEqual(
      [...state.entries.values()].map((entry) => entry.deviceKey),
      ['usb:1-6'],
    );
    assert.equal(state.devices.find((device) => device.key === 'usb:1-2')?.match.ignored?.name, 'ups-on-usb');
  });
});
