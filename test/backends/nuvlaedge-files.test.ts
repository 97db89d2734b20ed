import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig } from '../../engine/config/load-config.js';
import { configIssues, notifyIssues } from './notify-options.js';

test('nuvlaedge notify entries take no options', () => {
  assert.deepEqual(notifyIssues('{ backend: nuvlaedge }'), []);
  assert.deepEqual(notifyIssues('{ backend: nuvlaedge, root: /tmp }'), [{ code: 'unknown-key', line: 5, col: 27 }]);
});

test('nuvlaedge-files config: root absolute, manager name kebab-case', () => {
  assert.deepEqual(configIssues('    type: nuvlaedge-files\n    root: /srv/nuvlaedge/shared\n    managerName: usb-engine\n'), []);
  assert.deepEqual(configIssues('    type: nuvlaedge-files\n    root: relative/path\n'), [{ code: 'invalid-value', line: 4, col: 11 }]);
  assert.deepEqual(configIssues('    type: nuvlaedge-files\n    managerName: "../escape"\n'), [{ code: 'invalid-value', line: 4, col: 18 }]);
});

test('the built-in nuvlaedge backend reads NUVLAEDGE_ROOT', () => {
  const find = (env: NodeJS.ProcessEnv) => defaultConfig(env).backends.find((backend) => backend.name === 'nuvlaedge');
  assert.deepEqual(find({})?.options, { root: '/var/lib/nuvlaedge' });
  assert.deepEqual(find({ NUVLAEDGE_ROOT: '/srv/nuvlaedge/shared' })?.options, { root: '/srv/nuvlaedge/shared' });
});
