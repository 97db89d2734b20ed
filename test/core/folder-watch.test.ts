// The folder-watching module on real folders: what a resync reports (nothing when nothing
// changed), what a listing after events reports (an entry the user looked at only when the listing
// finds it otherwise; every entry it did not, even one created and removed with the removal lost),
// a root replaced, names that are not UTF-8.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { FolderWatch, type ChangeCause } from '../../engine/core/folder-watch.js';
import { createLogger } from '../../engine/core/log.js';

type Change = { folder: string; names: readonly string[]; cause: ChangeCause };

const QUEUE_LIMIT = Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
/** Filling a queue much longer than the default (16,384) would take the test too long. */
const overflowSkip =
  QUEUE_LIMIT > 100_000 ? `the inotify queue holds ${QUEUE_LIMIT} events: too many to fill here` : false;

interface Recorded {
  root: string;
  watch: FolderWatch;
  changes: Change[];
  replaced: string[];
  logs: Record<string, unknown>[];
}

let current: Recorded | undefined;
afterEach(() => {
  current?.watch.close();
  if (current) rmSync(current.root, { recursive: true, force: true });
  current = undefined;
});

/** A watch whose reports are recorded; `onChange` runs in the report's own turn, as a user's would. */
function recorded(onChange?: (change: Change, watch: FolderWatch) => void): Recorded {
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
      changed: (folder, names, cause) => {
        record.changes.push({ folder, names, cause });
        onChange?.({ folder, names, cause }, record.watch);
      },
      replaced: (folder) => record.replaced.push(folder),
    }),
  };
  return (current = record);
}

/** The names events reported. */
const namedByEvents = (changes: readonly Change[]) =>
  new Set(changes.filter((change) => change.cause === 'rename').flatMap((change) => change.names));

/** The names listings reported, in order. */
const listings = (changes: readonly Change[]) =>
  changes.filter((change) => change.cause === 'listing').flatMap((change) => change.names);

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

  test('an entry the user looked at after its event is reported by a later listing only if found otherwise', async () => {
    // Even entries are looked at (and found files) by the user in the turn of their event; odd ones are not.
    const looked = (name: string) => Number(name.slice('entry'.length)) % 2 === 0;
    let allNamed: number | undefined;
    const { root, watch, changes } = recorded((change, watch) => {
      if (change.cause !== 'rename') return;
      for (const name of change.names) if (looked(name)) watch.seen(path.join(change.folder, name), 'file');
      // Every listing from here on comes after the user's looks.
      allNamed ??= namedByEvents(changes).size === 200 ? changes.length : undefined;
    });
    await watch.watch(root);
    for (let index = 0; index < 200; index++) writeFileSync(path.join(root, `entry${index}`), '');
    await waitFor('an event for every entry', () => allNamed !== undefined);
    await watch.resync();
    const listed = (from: number) => new Set(listings(changes.slice(from)));
    assert.deepEqual([...listed(allNamed!)].filter(looked), []);
    const unlooked = [...namedByEvents(changes)].filter((name) => !looked(name));
    assert.equal(unlooked.length, 100);
    assert.deepEqual(
      unlooked.filter((name) => !listed(0).has(name)),
      [],
    );
  });

  for (const userLooks of [true, false])
    test(
      `an entry created and removed between two listings, its removal lost, is reported by the next listing (${userLooks ? 'the user looked at it' : 'the user did not look'})`,
      { skip: overflowSkip },
      async () => {
        const { root, watch, changes } = recorded((change, watch) => {
          if (userLooks && change.cause === 'rename' && change.names.includes('gone'))
            watch.seen(path.join(change.folder, 'gone'), 'file');
        });
        const noise = path.join(root, 'noise');
        mkdirSync(noise);
        await watch.watch(root);
        await watch.watch(noise);
        writeFileSync(path.join(root, 'gone'), '');
        await waitFor('the event', () => namedByEvents(changes).has('gone'));
        // In one turn, so that no event is read meanwhile: the queue fills, then the removal is dropped.
        for (let index = 0; index < QUEUE_LIMIT + 100; index++) writeFileSync(path.join(noise, `n${index}`), '');
        unlinkSync(path.join(root, 'gone'));
        const after = changes.length;
        await watch.resync();
        assert.ok(listings(changes.slice(after)).includes('gone'), 'the removed entry is reported by a listing');
      },
    );

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
