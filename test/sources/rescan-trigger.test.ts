// RescanTrigger's resync: it rescans without events, and renews watches that went stale.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { RescanTrigger } from '../../engine/sources/shared/rescan-trigger.js';
import { waitFor } from '../daemon/engine-process.js';

test('each resync rescans, and a folder made anew under its watch is watched again', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'rescan-trigger-'));
  const folder = path.join(root, 'watched');
  mkdirSync(folder);
  let rescans = 0;
  let events = 0;
  const trigger = new RescanTrigger(() => rescans++, 10, []);
  try {
    assert.ok(trigger.watch(folder, () => events++));
    writeFileSync(path.join(folder, 'a'), '');
    await waitFor('the event', () => events > 0 && rescans > 0);
    renameSync(folder, `${folder}.old`);
    mkdirSync(folder);
    let resyncs = 0;
    trigger.resyncEvery(100, () => {
      resyncs++;
      return true;
    });
    await waitFor('a resync', () => resyncs > 0);
    const before = rescans;
    await waitFor('its rescan', () => rescans > before);
    const eventsBefore = events;
    writeFileSync(path.join(folder, 'b'), '');
    await waitFor('an event from the folder made anew', () => events > eventsBefore);
    assert.deepEqual(trigger.watched(), [folder]);
  } finally {
    trigger.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a folder that cannot be watched any more is dropped at the resync; the rescans go on', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'rescan-trigger-'));
  const folder = path.join(root, 'watched');
  mkdirSync(folder);
  let rescans = 0;
  const trigger = new RescanTrigger(() => rescans++, 10, []);
  try {
    assert.ok(trigger.watch(folder));
    rmSync(folder, { recursive: true });
    trigger.resyncEvery(50, () => true);
    await waitFor('the folder dropped', () => trigger.watched().length === 0);
    const before = rescans;
    await waitFor('another resync', () => rescans > before);
  } finally {
    trigger.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
