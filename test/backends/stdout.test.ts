import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStdoutBackend } from '../../engine/backends/stdout.js';
import { configIssues, notifyIssues } from './notify-options.js';

test('stdout takes no options', () => {
  assert.deepEqual(notifyIssues('{ backend: stdout }'), []);
  assert.deepEqual(notifyIssues('{ backend: stdout, pretty: true }'), [{ code: 'unknown-key', line: 5, col: 24 }]);
  assert.deepEqual(configIssues('    type: stdout\n'), []);
  assert.deepEqual(configIssues('    type: stdout\n    pretty: true\n'), [{ code: 'unknown-key', line: 4, col: 5 }]);
});

test('stdout writes one JSON line per change and acknowledges it', async () => {
  const lines: string[] = [];
  const backend = createStdoutBackend((line) => lines.push(line));
  const notify = { backend: 'stdout' };
  const signal = new AbortController().signal;
  assert.deepEqual(await backend.apply({ op: 'create', identifier: 'a:1', payload: { name: 'A' }, notify }, signal), {
    outcome: 'acknowledged',
  });
  assert.deepEqual(await backend.apply({ op: 'delete', identifier: 'a:1', payload: { name: 'A' }, notify }, signal), {
    outcome: 'acknowledged',
  });
  assert.equal(lines.length, 2);
  assert.ok(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n')));
  const [created, deleted] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual([created!.op, created!.identifier, created!.payload], ['create', 'a:1', { name: 'A' }]);
  assert.equal(deleted!.op, 'delete');
  assert.match(String(created!.at), /^\d{4}-\d\d-\d\dT/);
});
