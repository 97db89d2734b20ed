// The reconciler's state on disk surviving its own damage: bad entries, a folder in the file's
// place, temporaries of killed writes, torn journal lines, and a folder that cannot be written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
  appendFileSync,
  readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createLogger } from '../../engine/core/log.js';
import {
  JOURNAL_FILE,
  STATE_FILE,
  StateSaveError,
  StateStore,
  type HeldEntry,
} from '../../engine/reconcile/state-store.js';
import { entryKey } from '../../engine/reconcile/desired-state.js';
import { waitFor } from '../daemon/engine-process.js';

const entry = (identifier: string, extra: Partial<HeldEntry> = {}): HeldEntry => ({
  backend: 'agent',
  identifier,
  notify: { backend: 'agent' },
  profile: 'p',
  deviceKey: `file:/dev/${identifier}`,
  ...extra,
});

const keyOf = (held: HeldEntry) => entryKey(held.backend, held.identifier);

/**
 * A store over a map of entries that the test sets whole through `entries`: each save tells the
 * store which keys changed, as the reconciler does.
 */
function store(folder: string, entries: () => HeldEntry[] = () => []) {
  const logs: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  const held = new Map<string, HeldEntry>();
  const state = new StateStore(folder, held, log);
  const told = {
    async load() {
      const loaded = await state.load();
      for (const entry of loaded) held.set(keyOf(entry), entry);
      return loaded;
    },
    save() {
      const now = new Map(entries().map((entry) => [keyOf(entry), entry]));
      for (const key of held.keys()) if (!now.has(key)) (held.delete(key), state.changed(key));
      for (const [key, entry] of now) if (held.get(key) !== entry) (held.set(key, entry), state.changed(key));
      return state.save();
    },
    close: () => state.close(),
    release: () => state.release(),
    state,
  };
  return { store: told, logs };
}

const scratch = () => mkdtempSync(path.join(tmpdir(), 'state-store-'));

describe('StateStore', () => {
  test('an entry of the wrong shape (null, a string, a missing field) is dropped alone, with a warning', async () => {
    const folder = scratch();
    writeFileSync(
      path.join(folder, STATE_FILE),
      JSON.stringify({ version: 1, entries: [entry('a'), null, 'x', { ...entry('b'), identifier: 7 }, entry('c')] }),
    );
    const { store: state, logs } = store(folder);
    const loaded = await state.load();
    assert.deepEqual(
      loaded.map((held) => held.identifier),
      ['a', 'c'],
    );
    assert.equal(logs.filter((line) => line.msg === 'state entry of the wrong shape; dropped').length, 3);
    assert.ok(existsSync(path.join(folder, STATE_FILE)), 'the file is not set aside for one bad entry');
    rmSync(folder, { recursive: true, force: true });
  });

  test('a folder where the state file should be is set aside with an error line, and saving works after', async () => {
    const folder = scratch();
    mkdirSync(path.join(folder, STATE_FILE));
    let entries: HeldEntry[] = [];
    const { store: state, logs } = store(folder, () => entries);
    assert.deepEqual(await state.load(), []);
    assert.ok(
      logs.some(
        (line) => line.level === 'error' && /folder is where the state file should be/.test(String(line.error)),
      ),
    );
    entries = [entry('a')];
    await state.save();
    await state.release();
    const again = store(folder);
    assert.deepEqual(
      (await again.store.load()).map((held) => held.identifier),
      ['a'],
    );
    rmSync(folder, { recursive: true, force: true });
  });

  test('temporary files of writes killed half-way are removed at start; those of a live process are kept', async () => {
    const folder = scratch();
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const deadPid = Number(exited.stdout);
    writeFileSync(path.join(folder, `.reconciler.json.${deadPid}.tmp`), '{"version":1,"entr');
    writeFileSync(path.join(folder, `.probes.json.${deadPid}.tmp`), '{');
    writeFileSync(path.join(folder, `.probes.json.${process.ppid}.tmp`), '{');
    const { store: state } = store(folder);
    await state.load();
    assert.deepEqual(readdirSync(folder).sort(), [`.probes.json.${process.ppid}.tmp`]);
    rmSync(folder, { recursive: true, force: true });
  });

  test('saves append to a journal; a torn last line is dropped; a restart reads snapshot and journal', async () => {
    const folder = scratch();
    let entries = [entry('a'), entry('b')];
    const first = store(folder, () => entries);
    await first.store.load();
    await first.store.save();
    entries = [entry('a', { sending: { payload: { v: 2 }, since: 'now' } })];
    await first.store.save();
    assert.ok(!existsSync(path.join(folder, STATE_FILE)), 'no snapshot rewrite per save');
    assert.equal(readFileSync(path.join(folder, JOURNAL_FILE), 'utf8').trim().split('\n').length, 1 + 4);
    await first.store.release();
    // A write killed half-way.
    appendFileSync(path.join(folder, JOURNAL_FILE), '{"key":"agent\\u0000c","entry":{"backe');
    const second = store(folder, () => entries);
    const loaded = await second.store.load();
    assert.deepEqual(loaded, entries);
    // The next save folds the damaged journal into a snapshot.
    entries = [...entries, entry('d')];
    await second.store.save();
    await second.store.release();
    assert.ok(!existsSync(path.join(folder, JOURNAL_FILE)));
    assert.deepEqual(await store(folder).store.load(), entries);
    rmSync(folder, { recursive: true, force: true });
  });

  test('a journal left from before a compaction is older than the snapshot and is not replayed', async () => {
    const folder = scratch();
    writeFileSync(path.join(folder, STATE_FILE), JSON.stringify({ version: 1, generation: 3, entries: [entry('a')] }));
    writeFileSync(
      path.join(folder, JOURNAL_FILE),
      `{"generation":2}\n${JSON.stringify({ key: 'agent\u0000a', entry: null })}\n`,
    );
    assert.deepEqual(
      (await store(folder).store.load()).map((held) => held.identifier),
      ['a'],
    );
    rmSync(folder, { recursive: true, force: true });
  });

  for (const [damage, head] of [
    ['garbage', 'x\u0000{"gen'],
    ['a record', JSON.stringify({ key: 'agent\u0000a', entry: entry('a') })],
    ['a generation the snapshot never had', '{"generation":9}'],
  ] as const)
    test(`a journal whose head is ${damage}: what can be read is used, with an error line, and the file is set aside`, async () => {
      const folder = scratch();
      const lines = [
        head,
        JSON.stringify({ key: 'agent\u0000b', entry: entry('b', { acknowledged: { payload: {}, at: 'then' } }) }),
        '{"key":"agent\u0000broken',
        JSON.stringify({ key: 'agent\u0000c', entry: entry('c', { deleting: { since: 'then' } }) }),
      ];
      writeFileSync(path.join(folder, JOURNAL_FILE), `${lines.join('\n')}\n`);
      const { store: state, logs } = store(folder);
      const loaded = (await state.load()).map((held) => held.identifier).sort();
      assert.deepEqual(loaded, damage === 'a record' ? ['a', 'b', 'c'] : ['b', 'c']);
      const said = logs.find(
        (line) => line.msg === 'state journal damaged; what could be read is used, the file is set aside',
      );
      assert.ok(said, JSON.stringify(logs));
      assert.equal(said['level'], 'error');
      assert.ok(state.state.needsRepair);
      // The first write folds what was read into a snapshot and keeps the damaged file aside.
      await state.state.write();
      await state.release();
      const names = readdirSync(folder);
      assert.ok(!names.includes(JOURNAL_FILE), names.join());
      assert.equal(names.filter((name) => name.startsWith(`${JOURNAL_FILE}.corrupt-`)).length, 1, names.join());
      assert.deepEqual((await store(folder).store.load()).map((held) => held.identifier).sort(), loaded);
      rmSync(folder, { recursive: true, force: true });
    });

  test('a state folder that cannot be written: saves fail, one warning for many, retried on their own until it works', async () => {
    const folder = scratch();
    const entries = [entry('a')];
    const { store: state, logs } = store(folder, () => entries);
    await state.load();
    // A folder in the journal's place makes every write fail, even as root (chmod would not).
    mkdirSync(path.join(folder, JOURNAL_FILE));
    for (let attempt = 0; attempt < 20; attempt += 1) {
      entries[0] = entry('a', { sending: { payload: { attempt }, since: 'now' } });
      await assert.rejects(state.save(), StateSaveError);
    }
    assert.equal(logs.filter((line) => line.msg === 'could not save state; trying again').length, 1);
    rmSync(path.join(folder, JOURNAL_FILE), { recursive: true });
    await waitFor('the retry on its own', () => logs.some((line) => line.msg === 'state saved again'), 15_000);
    assert.deepEqual(await store(folder).store.load(), entries);
    state.close();
    await state.release();
    rmSync(folder, { recursive: true, force: true });
  });
});
