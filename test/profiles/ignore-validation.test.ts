/*
 * What `engine validate` says of ignore profiles (`ignore: true`) and of the engine config's
 * `ignore:` rules: codes and positions, as for any profile.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import { parseConfig } from '../../engine/config/load-config.js';
import type { ProfileIssue } from '../../engine/core/errors.js';
import { profileSchema } from '../../engine/profiles/profile-schema.js';
import { validateProfileText } from '../../engine/profiles/validate-profile.js';
import { yaml } from '../match/profile-text.js';

const backends = builtInBackendNames();
const context = { backends, schema: profileSchema(backends) };
const where = (issues: ProfileIssue[]) =>
  issues.map((issue) => `${issue.line}:${issue.col} ${issue.severity} ${issue.code}`).sort();

describe('ignore profiles', () => {
  test('need no map or notify', () => {
    const checked = validateProfileText(
      'leave-modem.yaml',
      yaml(
        'name: leave-modem',
        'description: ModemManager owns this port',
        'ignore: true',
        'detect:',
        '  serial: { path: /dev/ttyUSB2 }',
      ),
      context,
    );
    assert.deepEqual(checked.issues, []);
    assert.equal(checked.profile?.ignore, true);
  });

  test('refuse map, notify, priority and a probe, each where it is written', () => {
    const checked = validateProfileText(
      'bad.yaml',
      yaml(
        'name: bad',
        'ignore: true',
        'priority: 3',
        'detect:',
        '  serial:',
        '    path: /dev/ttyUSB2',
        '    probe: { expect: "OK" }',
        'map: { name: x }',
        'notify: [{ backend: stdout }]',
      ),
      context,
    );
    assert.deepEqual(where(checked.issues), [
      '3:1 error unknown-key',
      '7:5 error unknown-key',
      '8:1 error unknown-key',
      '9:1 error unknown-key',
    ]);
    assert.equal(checked.profile, undefined);
  });

  test('a profile without `ignore: true` still needs map and notify', () => {
    const checked = validateProfileText(
      'half.yaml',
      yaml('name: half', 'detect: { usb: { vendorId: "1234" } }'),
      context,
    );
    assert.deepEqual(where(checked.issues), ['1:1 error missing-key', '1:1 error missing-key']);
    assert.deepEqual(checked.issues.map((issue) => issue.message).sort(), [
      'the profile needs `map`',
      'the profile needs `notify`',
    ]);
  });
});

describe("the engine config's ignore rules", () => {
  test('a valid list gives the matcher one entry per rule, named by the config file', () => {
    const { config, issues } = parseConfig(
      'config.yaml',
      yaml(
        'ignore:',
        '  - name: ups-on-ttys0',
        '    reason: the UPS on the RS-232 line belongs to nut',
        '    detect: { serial: { path: /dev/ttyS0 } }',
      ),
      {},
    );
    assert.deepEqual(issues, []);
    assert.deepEqual(config?.ignore, [
      {
        profile: {
          name: 'ups-on-ttys0',
          description: 'the UPS on the RS-232 line belongs to nut',
          ignore: true,
          detect: { serial: { path: '/dev/ttyS0' } },
        },
        file: 'config.yaml',
        configRule: true,
      },
    ]);
  });

  test('each problem of a rule is reported at its line and column, and the config is refused', () => {
    const { config, issues } = parseConfig(
      'config.yaml',
      yaml(
        'ignore:',
        '  - name: ups',
        '    reason: nut owns it',
        '    detect:',
        '      serial: { path: "/dev/ttyS[0", probe: { expect: OK } }',
        '  - name: ups',
        '    detect:',
        '      when: { "==": [{ var: usb.vendrId }, "0463"] }',
        '  - name: Not-Kebab',
        '    reason: " "',
        '    detect: { usb: { vendorId: "0463" } }',
      ),
      {},
    );
    assert.equal(config, undefined);
    assert.deepEqual(where(issues), [
      '10:13 error invalid-value',
      '5:23 error invalid-glob',
      '5:38 error unknown-key',
      '6:11 error duplicate-name',
      '6:5 error missing-key',
      '7:5 error missing-key',
      '8:29 error logic-unknown-fact',
      '9:11 error invalid-value',
    ]);
  });
});
