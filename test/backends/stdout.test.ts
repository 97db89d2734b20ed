import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configIssues, notifyIssues } from './notify-options.js';

test('stdout takes no options', () => {
  assert.deepEqual(notifyIssues('{ backend: stdout }'), []);
  assert.deepEqual(notifyIssues('{ backend: stdout, pretty: true }'), [{ code: 'unknown-key', line: 5, col: 24 }]);
  assert.deepEqual(configIssues('    type: stdout\n'), []);
  assert.deepEqual(configIssues('    type: stdout\n    pretty: true\n'), [{ code: 'unknown-key', line: 4, col: 5 }]);
});
