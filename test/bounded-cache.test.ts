// Patterns built at evaluation time (from a device's strings) are compiled through a bounded
// cache: recently used ones are kept, the least recently used go first, memory stays bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundedCache } from '../engine/core/bounded-cache.js';

test('a bounded cache keeps at most its limit, forgetting the least recently used first', () => {
  const computed: string[] = [];
  const cached = boundedCache(2, (key) => {
    computed.push(key);
    return key.toUpperCase();
  });
  assert.equal(cached('a'), 'A');
  assert.equal(cached('b'), 'B');
  assert.equal(cached('a'), 'A'); // a is now the most recently used
  assert.equal(cached('c'), 'C'); // b goes
  assert.equal(cached('a'), 'A');
  assert.equal(cached('b'), 'B');
  assert.deepEqual(computed, ['a', 'b', 'c', 'b']);
  for (let index = 0; index < 10_000; index++) cached(`device-${index}`);
  assert.deepEqual(computed.slice(-2), ['device-9998', 'device-9999']);
  cached('device-9999');
  assert.equal(computed.length, 4 + 10_000, 'the most recent one is still remembered');
});
