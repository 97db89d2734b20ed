import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig } from '../../engine/config/load-config.js';
import { configIssues, notifyIssues } from './notify-options.js';

test('nuvlabox notify entries take no options', () => {
  assert.deepEqual(notifyIssues('{ backend: nuvlabox }'), []);
  assert.deepEqual(notifyIssues('{ backend: nuvlabox, appId: 1 }'), [{ code: 'unknown-key', line: 5, col: 26 }]);
});

test('nuvlabox-agent config: url must be http(s)', () => {
  assert.deepEqual(configIssues('    type: nuvlabox-agent\n    url: http://127.0.0.1:5080/api\n'), []);
  assert.deepEqual(configIssues('    type: nuvlabox-agent\n    url: agent/api\n'), [{ code: 'invalid-value', line: 4, col: 10 }]);
});

test('the built-in nuvlabox backend reads NUVLABOX_AGENT_URL', () => {
  const find = (env: NodeJS.ProcessEnv) => defaultConfig(env).backends.find((backend) => backend.name === 'nuvlabox');
  assert.deepEqual(find({})?.options, { url: 'http://agent/api' });
  assert.deepEqual(find({ NUVLABOX_AGENT_URL: 'http://127.0.0.1:5080/api' })?.options, { url: 'http://127.0.0.1:5080/api' });
});
