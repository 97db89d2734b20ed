// runTest is pure: profiles and a test in, a verdict out, through the engine's own matcher and mapper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import { ProfileIndex } from '../../engine/match/matcher.js';
import type { LoadedTest, ProfileTest } from '../../engine/profile-tests/profile-test.js';
import { runTest } from '../../engine/profile-tests/run-test.js';
import type { Profile } from '../../engine/profiles/profile.js';

const camera: Profile = {
  name: 'camera',
  detect: { usb: { vendorId: '046d', productId: '0825', interfaceClass: 'Video' } },
  map: {
    classes: [{ var: 'usb.interfaces.0.className' }],
    site: { var: 'params.site' },
    host: { var: 'host.hostname' },
  },
  notify: [{ backend: 'stdout' }],
};
const node: Profile = {
  name: 'node-file',
  detect: { file: { path: '/dev/*' } },
  map: { name: { var: 'file.name' }, dir: { var: 'file.dir' } },
  notify: [{ backend: 'stdout' }],
};
const modem: Profile = {
  name: 'modem',
  detect: {
    usb: { vendorId: '2c7c', productId: '0125' },
    serial: { path: '/dev/ttyUSB*', probe: { expect: 'Revision: (\\S+)' } },
  },
  map: { firmware: { var: 'probe.groups.0' } },
  notify: [{ backend: 'stdout' }],
};
const context = {
  index: new ProfileIndex([camera, node, modem].map((profile) => ({ profile, file: `${profile.name}.yaml` }))),
  backends: builtInBackendNames(),
  params: { site: 'lab' },
};
const at = (test: ProfileTest, defaultProfile?: string): LoadedTest => ({
  test,
  file: 't.test.yaml',
  line: 1,
  col: 1,
  ...(defaultProfile ? { defaultProfile } : {}),
});

test('facts are completed as the sources would: className from class, name and dir from the path; params and host filled in', () => {
  const usb = runTest(
    at({
      name: 'cam',
      facts: { usb: { vendorId: '046d', productId: '0825', interfaces: [{ number: 0, class: '0e' }] } },
      expect: { payload: { classes: ['Video'], site: 'lab', host: 'gateway' } },
    }),
    context,
  );
  assert.deepEqual([usb.passed, usb.winner, usb.failures], [true, 'camera', []]);
  const file = runTest(
    at({
      name: 'node',
      facts: { file: { path: '/dev/video0' } },
      expect: { payload: { name: 'video0', dir: '/dev' } },
    }),
    context,
  );
  assert.deepEqual(file.failures, []);
});

test("a probe reply is run through each probe profile's expect; without one, no probe profile matches", () => {
  const facts = { usb: { vendorId: '2c7c', productId: '0125' }, serial: { path: '/dev/ttyUSB2' } };
  assert.deepEqual(
    runTest(
      at({ name: 'reply', facts, probe: 'Revision: R1\r\n', expect: { payload: { firmware: 'R1' } } }, 'modem'),
      context,
    ).failures,
    [],
  );
  const silent = runTest(at({ name: 'silent', facts, expect: 'no-match' }), context);
  assert.equal(silent.passed, true);
  assert.match(silent.candidates[0]!.reason!, /^serial probe: no reply/);
  const wrong = runTest(
    at({ name: 'wrong', facts, probe: { hex: '4f 4b' }, expect: { match: true } }, 'modem'),
    context,
  );
  assert.deepEqual(wrong.failures, ['expected modem to match, but nothing matched']);
  assert.match(wrong.candidates[0]!.reason!, /^serial probe: the reply "OK" does not match expect/);
});

test('a positive expectation names the default profile; match: false and no-match expect nothing to win', () => {
  const facts = { file: { path: '/dev/video0' } };
  assert.deepEqual(runTest(at({ name: 'x', facts, expect: { match: true } }, 'camera'), context).failures, [
    'expected camera to win, but node-file did',
    'camera was not a candidate: its USB ids or path do not fit these facts',
  ]);
  assert.deepEqual(runTest(at({ name: 'y', facts, expect: { match: false } }, 'camera'), context).failures, [
    'expected no match, but node-file matched',
  ]);
});
