import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceEvent } from '../engine/core/device-event.js';
import { Inventory } from '../engine/inventory/inventory.js';

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const event = (action: DeviceEvent['action'], key: string, value: number): DeviceEvent => ({
  action,
  key,
  source: 'file',
  facts: { file: { path: key, value } } as unknown as DeviceEvent['facts'],
});

test('the inventory lists exactly the present devices in key order, with their latest facts, whatever the order of events', () => {
  const next = random(7);
  const inventory = new Inventory();
  const expected = new Map<string, number>();
  // Keys that sort differently by code point and by locale (case, accents, digits).
  const keys = [
    'file:/dev/ttyUSB10',
    'file:/dev/ttyUSB2',
    'file:/dev/Video0',
    'file:/dev/video1',
    'file:/dev/é',
    'file:/dev/e',
  ];
  for (let index = 0; index < 200; index++) keys.push(`file:/dev/sensor${Math.floor(next() * 500)}`);
  for (let step = 0; step < 5000; step++) {
    const key = keys[Math.floor(next() * keys.length)]!;
    const value = Math.floor(next() * 3);
    const action = next() < 0.4 ? 'remove' : expected.has(key) ? 'change' : 'add';
    const changed = inventory.apply(event(action, key, value));
    const before = expected.get(key);
    if (action === 'remove') {
      assert.equal(changed, before !== undefined, `step ${step}: remove of ${key}`);
      expected.delete(key);
    } else {
      assert.equal(changed, before !== value, `step ${step}: ${action} of ${key}`);
      expected.set(key, value);
    }
    if (step % 50 !== 0) continue;
    const listed = inventory.devices();
    const wanted = [...expected.keys()].sort((a, b) => a.localeCompare(b));
    assert.deepEqual(
      listed.map((device) => device.key),
      wanted,
      `step ${step}: keys`,
    );
    for (const device of listed)
      assert.equal((device.facts.file as unknown as { value: number }).value, expected.get(device.key));
    assert.equal(inventory.size, expected.size);
  }
});

test('a device keeps the time it was first seen while its facts change, and gets a new one after it went', () => {
  const inventory = new Inventory();
  inventory.apply(event('add', 'file:/dev/a', 1), new Date('2026-01-01T00:00:00Z'));
  inventory.apply(event('change', 'file:/dev/a', 2), new Date('2026-01-02T00:00:00Z'));
  assert.equal(inventory.devices()[0]!.since, '2026-01-01T00:00:00.000Z');
  inventory.apply(event('remove', 'file:/dev/a', 2));
  inventory.apply(event('add', 'file:/dev/a', 2), new Date('2026-01-03T00:00:00Z'));
  assert.equal(inventory.devices()[0]!.since, '2026-01-03T00:00:00.000Z');
});

test('the list handed out is the caller’s: later events do not change it', () => {
  const inventory = new Inventory();
  inventory.apply(event('add', 'file:/dev/a', 1));
  const listed = inventory.devices();
  inventory.apply(event('add', 'file:/dev/b', 1));
  inventory.apply(event('remove', 'file:/dev/a', 1));
  assert.deepEqual(
    listed.map((device) => device.key),
    ['file:/dev/a'],
  );
});
