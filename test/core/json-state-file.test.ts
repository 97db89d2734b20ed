// The one durable JSON state-file type every store uses, on real files: what is read back
// survives damage (nothing that was good is lost, nothing bad is taken), saves survive a failing
// folder, and what killed writers left behind is cleaned up without touching a write under way.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { removeStaleTemporaries, writeFileAtomic } from '../../engine/core/durable-file.js';
import { hasShape } from '../../engine/core/json-shape.js';
import { JsonStateFile, StateFileError, type JsonStateFileOptions } from '../../engine/core/json-state-file.js';
import { createLogger } from '../../engine/core/log.js';
import { waitFor } from '../daemon/engine-process.js';

interface Device {
  uuid: string;
  online: boolean;
}

const isDevice = (value: unknown): value is Device => hasShape(value, { uuid: 'string', online: 'boolean' });

const scratch = mkdtempSync(path.join(tmpdir(), 'json-state-file-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

/** A state file of devices by identifier in a fresh folder, saving `entries`; its log lines. */
function devicesFile(options: Partial<JsonStateFileOptions<Device>> = {}) {
  const folder = path.join(scratch, String(counter++));
  mkdirSync(folder);
  const entries = new Map<string, Device>();
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const file = new JsonStateFile<Device>({
    file: path.join(folder, 'devices.json'),
    what: 'devices',
    layout: { field: 'devices', version: 1 },
    isEntry: isDevice,
    current: () => entries,
    whenDamaged: 'set-aside',
    log,
    ...options,
  });
  return { file, entries, lines, folder, path: path.join(folder, 'devices.json') };
}

const saved = (file: string) =>
  JSON.parse(readFileSync(file, 'utf8')) as { version: number; devices: Record<string, Device> };

describe('JsonStateFile', () => {
  test('an entry of the wrong shape is dropped alone, with a warning; the good ones are kept and saved again', async () => {
    const state = devicesFile();
    const good = { a: { uuid: 'u-a', online: true }, c: { uuid: 'u-c', online: false } };
    writeFileSync(
      state.path,
      JSON.stringify({ version: 1, devices: { a: good.a, b: null, x: { uuid: 7, online: true }, c: good.c } }),
    );
    const { entries } = await state.file.load();
    assert.deepEqual(Object.fromEntries(entries), good, 'nothing that was good is lost');
    assert.equal(state.lines.filter((line) => line.msg === 'state entry of the wrong shape; dropped').length, 2);
    assert.ok(
      state.lines.some((line) => line.key === 'x'),
      'the warning names the entry',
    );
    assert.ok(
      !readdirSync(state.folder).some((name) => name.includes('corrupt')),
      'the file is not set aside for one bad entry',
    );
    for (const [key, device] of entries) state.entries.set(key, device);
    state.entries.set('d', { uuid: 'u-d', online: true });
    await state.file.save();
    assert.deepEqual(saved(state.path), { version: 1, devices: { ...good, d: { uuid: 'u-d', online: true } } });
  });

  test('a damaged file is set aside whole and the store starts empty; a save then writes a new one', async () => {
    const state = devicesFile();
    const damaged = '{"version":1,"devices":{"a":{"uuid":"u-a"';
    writeFileSync(state.path, damaged);
    assert.equal((await state.file.load()).entries.size, 0);
    const aside = readdirSync(state.folder).filter((name) => name.startsWith('devices.json.corrupt-'));
    assert.equal(aside.length, 1);
    assert.equal(
      readFileSync(path.join(state.folder, aside[0]!), 'utf8'),
      damaged,
      'what was there is kept, for someone to look at',
    );
    assert.ok(
      state.lines.some(
        (line) =>
          line.level === 'error' && line.msg === 'state file unreadable; set aside, starting from an empty state',
      ),
    );
    state.entries.set('a', { uuid: 'u-a', online: true });
    await state.file.save();
    assert.deepEqual(saved(state.path).devices, { a: { uuid: 'u-a', online: true } });
  });

  test('a file of another version, or without the entries object, is damaged too', async () => {
    for (const text of ['{"version":2,"devices":{}}', '{"version":1,"devices":[]}', '[]', 'null']) {
      const state = devicesFile();
      writeFileSync(state.path, text);
      await state.file.load();
      assert.equal(
        readdirSync(state.folder).filter((name) => name.startsWith('devices.json.corrupt-')).length,
        1,
        text,
      );
    }
  });

  test('refuse: a damaged file is never written over, and loads fail until someone fixes it', async () => {
    const state = devicesFile({ whenDamaged: 'refuse' });
    writeFileSync(state.path, '{"devices": {"a": {"uu');
    await assert.rejects(state.file.load(), StateFileError);
    state.entries.set('b', { uuid: 'u-b', online: true });
    await assert.rejects(state.file.save(), StateFileError);
    assert.equal(readFileSync(state.path, 'utf8'), '{"devices": {"a": {"uu');
    writeFileSync(state.path, JSON.stringify({ version: 1, devices: { a: { uuid: 'u-a', online: true } } }));
    assert.deepEqual(Object.fromEntries((await state.file.load()).entries), { a: { uuid: 'u-a', online: true } });
  });

  test('a folder where the file should be is set aside, even when damaged files are refused; saving works after', async () => {
    for (const whenDamaged of ['set-aside', 'refuse'] as const) {
      const state = devicesFile({ whenDamaged });
      mkdirSync(path.join(state.path, 'inside'), { recursive: true });
      assert.equal((await state.file.load()).entries.size, 0);
      assert.ok(
        state.lines.some(
          (line) => line.level === 'error' && /folder is where the state file should be/.test(String(line.error)),
        ),
      );
      state.entries.set('a', { uuid: 'u-a', online: true });
      await state.file.save();
      assert.deepEqual(saved(state.path).devices, { a: { uuid: 'u-a', online: true } });
    }
  });

  test('a save that fails rejects with the error, one warning for many, and is tried again on its own until it works', async () => {
    const state = devicesFile();
    await state.file.load();
    // A folder in the file's place makes every write fail, even as root (chmod would not).
    mkdirSync(path.join(state.path, 'inside'), { recursive: true });
    for (let attempt = 0; attempt < 20; attempt += 1) {
      state.entries.set('a', { uuid: `u-${attempt}`, online: true });
      await assert.rejects(state.file.save(), (error: NodeJS.ErrnoException) => typeof error.code === 'string');
    }
    assert.equal(state.lines.filter((line) => line.msg === 'could not save devices; trying again').length, 1);
    rmSync(state.path, { recursive: true });
    await waitFor('the retry on its own', () => state.lines.some((line) => line.msg === 'devices saved again'), 15_000);
    assert.deepEqual(
      saved(state.path).devices,
      { a: { uuid: 'u-19', online: true } },
      'the latest entries, nothing lost',
    );
    state.file.close();
  });

  test('saves asked for during a write share the next one, and the file ends with the latest entries', async () => {
    let writes = 0;
    const state = devicesFile();
    const file = new JsonStateFile<Device>({
      file: state.path,
      what: 'devices',
      layout: { field: 'devices', version: 1 },
      isEntry: isDevice,
      current: () => state.entries,
      whenDamaged: 'set-aside',
      log: createLogger('error'),
      persist: async (entries) => {
        writes += 1;
        await file.writeWhole(entries);
      },
    });
    await file.load();
    const saves: Promise<void>[] = [];
    for (let index = 0; index < 10; index += 1) {
      state.entries.set(`d${index}`, { uuid: `u-${index}`, online: true });
      saves.push(file.save());
    }
    await Promise.all(saves);
    assert.equal(writes, 2, 'one write under way, one more for all the others');
    assert.equal(Object.keys(saved(state.path).devices).length, 10);
    await file.flushed();
  });

  test('nothing is written before the file was read', async () => {
    const state = devicesFile();
    writeFileSync(state.path, JSON.stringify({ version: 1, devices: { a: { uuid: 'u-a', online: true } } }));
    await assert.rejects(state.file.save(), StateFileError);
    assert.deepEqual(saved(state.path).devices, { a: { uuid: 'u-a', online: true } });
  });

  test('a list of entries that name their own key, and a file that is the entries object itself, read back what was saved', async () => {
    const list = devicesFile({ layout: { field: 'entries', version: 1, keyOf: (device) => device.uuid } });
    await list.file.load();
    list.entries.set('u-a', { uuid: 'u-a', online: true });
    await list.file.writeWhole(list.file.serialize(list.entries), { generation: 4 });
    assert.deepEqual(JSON.parse(readFileSync(list.path, 'utf8')), {
      version: 1,
      generation: 4,
      entries: [{ uuid: 'u-a', online: true }],
    });
    assert.deepEqual((await list.file.read()).fields, { generation: 4 });
    const whole = devicesFile({ layout: {} });
    await whole.file.load();
    whole.entries.set('a', { uuid: 'u-a', online: false });
    await whole.file.save();
    assert.deepEqual(JSON.parse(readFileSync(whole.path, 'utf8')), { a: { uuid: 'u-a', online: false } });
    assert.deepEqual(Object.fromEntries((await whole.file.read()).entries), { a: { uuid: 'u-a', online: false } });
  });
});

describe('removeStaleTemporaries', () => {
  test("the temporaries of a killed writer are removed; a live process's and this process's writes under way are kept", async () => {
    const folder = path.join(scratch, String(counter++));
    mkdirSync(folder);
    // A writer killed half-way: it made its temporary, then SIGKILL.
    const writer = spawn(process.execPath, [
      '-e',
      `require('fs').writeFileSync(require('path').join(${JSON.stringify(folder)}, '.probes.json.' + process.pid + '.tmp'), '{"a":'); setInterval(() => {}, 1000);`,
    ]);
    const killedTemporary = `.probes.json.${writer.pid}.tmp`;
    await waitFor('the writer made its temporary', () => existsSync(path.join(folder, killedTemporary)), 15_000);
    const exited = new Promise((resolve) => writer.once('exit', resolve));
    writer.kill('SIGKILL');
    await exited;
    // Another engine still running (our parent process), and an earlier engine that had our pid.
    const liveTemporary = `.reconciler.json.${process.ppid}.tmp`;
    writeFileSync(path.join(folder, liveTemporary), '{');
    writeFileSync(path.join(folder, `.link-link.json.${process.pid}.tmp`), '{');
    // One of our own writes, caught under way.
    const big = JSON.stringify({ data: 'x'.repeat(32 * 1024 * 1024) });
    const target = path.join(folder, 'balena-balena.json');
    let caught = false;
    for (let attempt = 0; attempt < 20 && !caught; attempt += 1) {
      const writing = writeFileAtomic(target, big);
      let done = false;
      void writing.finally(() => (done = true));
      while (!done && !caught) caught = (await readdir(folder)).includes(`.balena-balena.json.${process.pid}.tmp`);
      if (caught) {
        const removed = await removeStaleTemporaries(folder);
        assert.deepEqual(removed.sort(), [`.link-link.json.${process.pid}.tmp`, killedTemporary].sort());
      }
      await writing;
    }
    assert.ok(caught, 'a write was caught under way');
    assert.equal(readFileSync(target, 'utf8').length, big.length, 'the write under way ended whole');
    assert.deepEqual(readdirSync(folder).sort(), [liveTemporary, 'balena-balena.json'].sort());
  });
});
