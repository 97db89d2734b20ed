import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig } from '../../engine/config/load-config.js';
import { configIssues, notifyIssues } from './notify-options.js';

test('balena notify entries need a positive integer appId', () => {
  assert.deepEqual(notifyIssues('{ backend: balena, appId: 13015 }'), []);
  assert.deepEqual(notifyIssues('{ backend: balena, appId: 13015, deviceType: generic-amd64 }'), []);
  assert.deepEqual(notifyIssues('{ backend: balena }'), [{ code: 'missing-key', line: 5, col: 5 }]);
  assert.deepEqual(notifyIssues('{ backend: balena, appId: 0 }'), [{ code: 'invalid-value', line: 5, col: 31 }]);
  assert.deepEqual(notifyIssues('{ backend: balena, appId: "13015" }'), [{ code: 'wrong-type', line: 5, col: 31 }]);
});

test('balena-supervisor config: the key may come from the environment', () => {
  assert.deepEqual(configIssues('    type: balena-supervisor\n    address: http://127.0.0.1:48484\n    apiKey: ${KEY}\n', { KEY: 's3cret' }), []);
  assert.deepEqual(configIssues('    type: balena-supervisor\n    apiKey: ${KEY}\n'), [{ code: 'env-undefined', line: 4, col: 13 }]);
  assert.deepEqual(configIssues('    type: balena-supervisor\n    apiKeyIn: cookie\n'), [{ code: 'invalid-value', line: 4, col: 15 }]);
});

test('the built-in balena backend reads the supervisor variables', () => {
  const env = { BALENA_SUPERVISOR_ADDRESS: 'http://127.0.0.1:48484', BALENA_SUPERVISOR_API_KEY: 'k' };
  const balena = defaultConfig(env).backends.find((backend) => backend.name === 'balena');
  assert.deepEqual(balena?.options, { address: 'http://127.0.0.1:48484', apiKey: 'k', hookAddress: 'http://0.0.0.0:1337/v1/devices/' });
});
