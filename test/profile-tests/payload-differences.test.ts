import assert from 'node:assert/strict';
import { test } from 'node:test';
import { payloadDifferences } from '../../engine/profile-tests/payload-differences.js';

test('a payload may hold more keys than the test names; named ones compare recursively', () => {
  const actual = { identifier: 'a', classes: ['gps'], assets: { devices: ['/dev/x'], libraries: [] }, extra: 1 };
  assert.deepEqual(payloadDifferences({ classes: ['gps'], assets: { devices: ['/dev/x'] } }, actual), []);
});

test('lists must match item by item and in length; scalars must be equal, with no type coercion', () => {
  assert.deepEqual(payloadDifferences({ classes: ['gps'] }, { classes: ['gps', 'gnss'] }), [
    { path: 'classes', expected: ['gps'], actual: ['gps', 'gnss'] },
  ]);
  assert.deepEqual(payloadDifferences({ port: 80 }, { port: '80' }), [{ path: 'port', expected: 80, actual: '80' }]);
  assert.deepEqual(payloadDifferences({ a: [{ b: 1 }] }, { a: [{ b: 2, c: 3 }] }), [
    { path: 'a.0.b', expected: 1, actual: 2 },
  ]);
});

test('an expected null means the field is absent', () => {
  assert.deepEqual(payloadDifferences({ serial: null }, {}), []);
  assert.deepEqual(payloadDifferences({ serial: null }, { serial: 'x' }), [
    { path: 'serial', expected: null, actual: 'x' },
  ]);
  assert.deepEqual(payloadDifferences({ serial: 'x' }, {}), [{ path: 'serial', expected: 'x', actual: undefined }]);
});
