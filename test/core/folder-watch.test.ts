// The folder-watching module on real folders: what a resync reports (nothing when nothing
// changed), a root replaced, names that are not UTF-8.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { FolderWatch, type ChangeCause } from '../../engine/core/folder-watch.js';
import { createLogger } from '../../engine/core/log.js';

interface Recorded {
  root: string;
  watch: FolderWatch;
  changes: { folder: string; names: readonly string[]; cause: ChangeCause }[];
  replaced: string[];
  logs: Record<string, unknown>[];
}

let current: Recorded | undefined;
afterEach(() => {
  current?.watch.close();
  if (current) rmSync(current.root, { recursive: true, force: true });
  current = undefined;
});

function recorded(): Recorded {
  const root = mkdtempSync(path.join(tmpdir(), 'folder-watch-'));
  const logs: Record<string, unknown>[] = [];
  const record: Recorded = {
    root,
    changes: [],
    replaced: [],
    logs,
    watch: new FolderWatch({
      log: createLogger('debug', (line) => logs.push(JSON.parse(line) as Record<string, unknown>)),
      label: 'test',
      // Resyncs are run by the tests themselves.
      resyncMs: 3_600_000,
      persistent: false,
      changed: (folder, names, cause) => record.changes.push({ folder, names, cause }),
      replaced: (folder) => record.replaced.push(folder),
    }),
  };
  return (current = record);
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('FolderWatch', () => {
  test('a resync of folders where nothing changed reports nothing', async () => {
    const { root, watch, changes } = recorded();
    for (let index = 0; index < 1000; index++) writeFileSync(path.join(root, `entry${index}`), '');
    mkdirSync(path.join(root, 'sub'));
    const entries = await watch.watch(root);
    assert.equal(entries?.length, 1001);
    await watch.watch(path.join(root, 'sub'));
    await watch.resync();
    await watch.resync();
    assert.deepEqual(changes, []);
  });

  test('an event lists its folder again: what the listing finds changed is reported too', async () => {
    const { root, watch, changes } = recorded();
    await watch.watch(root);
    writeFileSync(path.join(root, 'a'), '');
    await waitFor('the listing', () => changes.some((change) => change.cause === 'listing'));
    assert.deepEqual(
      changes.filter((change) => change.cause === 'listing'),
      [{ folder: root, names: ['a'], cause: 'listing' }],
    );
  });

  test('a root removed, made again or renamed over is reported replaced and logged', async () => {
    const { root, watch, replaced, logs } = recorded();
    const folder = path.join(root, 'profiles');
    mkdirSync(folder);
    await watch.watch(folder);
    watch.guard(folder);
    rmSync(folder, { recursive: true });
    await waitFor('the removal', () => replaced.length > 0);
    mkdirSync(folder);
    await waitFor('the new folder', () => logs.some((line) => line.change === 'created'));
    assert.equal(await watch.watch(folder).then((entries) => entries?.length), 0);
    mkdirSync(path.join(root, 'next'));
    renameSync(folder, path.join(root, 'old'));
    renameSync(path.join(root, 'next'), folder);
    await waitFor('the rename', () => !watch.has(folder));
    assert.ok(replaced.every((where) => where === folder));
    assert.ok(logs.some((line) => line.msg === 'watched folder changed' && line.folder === folder));
  });

  test('a name that is not UTF-8 is refused with one warning and never reported', async () => {
    const { root, watch, changes, logs } = recorded();
    writeFileSync(Buffer.from(`${root}/bad\xff`, 'latin1'), '');
    const entries = await watch.watch(root);
    assert.deepEqual(entries, []);
    writeFileSync(Buffer.from(`${root}/worse\xfe`, 'latin1'), '');
    writeFileSync(path.join(root, 'good'), '');
    await waitFor('the listing', () => changes.some((change) => change.cause === 'listing'));
    await watch.resync();
    assert.deepEqual([...new Set(changes.flatMap((change) => change.names))], ['good']);
    const refused = logs
      .filter((line) => line.msg === 'file name is not valid UTF-8; ignored')
      .map((line) => line.path);
    assert.deepEqual(refused.sort(), [`${root}/bad\\xff`, `${root}/worse\\xfe`]);
  });
});
