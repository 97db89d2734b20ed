// The profiles watcher started before the store reads the folders (as the daemon starts it): a
// file added, and one edited after the store read it, while the folders are being read are
// reloaded once the watcher is released, and not before (a reload must not take a file ahead of
// the store's first read of it).
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import { createLogger } from '../../engine/core/log.js';
import { findProfileFiles } from '../../engine/profiles/load-profiles.js';
import { ProfileStore } from '../../engine/profiles/profile-store.js';
import { validateProfileText } from '../../engine/profiles/validate-profile.js';
import { ProfileWatcher } from '../../engine/profiles/watch-profiles.js';
import { profilesFolder, storeProfile } from './profile-store-fixtures.js';

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('files added or edited while the store reads the folder are reloaded once the watcher is released', async () => {
  const { folder, write } = profilesFolder();
  const names = Array.from({ length: 20 }, (_, index) => `a${String(index).padStart(2, '0')}`);
  for (const name of names) write(`${name}.yaml`, storeProfile(name, 'first'));
  let reloads = 0;
  let changedMidway = false;
  // The store's check of a10 (after a00 was read) is where the folder changes under it.
  const store = new (class extends ProfileStore {
    override reload(file: string): Promise<boolean> {
      reloads++;
      return super.reload(file);
    }
  })(folder, builtInBackendNames(), {
    validate: (file, text, context) => {
      if (path.basename(file) === 'a10.yaml' && !changedMidway) {
        changedMidway = true;
        write('late.yaml', storeProfile('late', 'first'));
        write('a00.yaml', storeProfile('a00', 'second'));
      }
      return validateProfileText(file, text, context);
    },
  });
  let changes = 0;
  const watcher = new ProfileWatcher(store, () => changes++, createLogger('error'), 3_600_000);
  const pending = (watcher as unknown as { pending: Map<string, boolean> }).pending;
  const labelOf = (name: string) => store.profiles().find((loaded) => loaded.profile.name === name)?.profile.map?.name;
  try {
    await watcher.start(true);
    await store.loadAll();
    assert.ok(changedMidway);
    assert.equal(labelOf('a00'), 'first', 'the store read a00 before its edit');
    assert.equal(labelOf('late'), undefined, 'the store listed the folder before late.yaml came');
    await until('the changes seen while held', () => pending.has(path.join(folder, 'late.yaml')));
    await until('the edit seen while held', () => pending.has(path.join(folder, 'a00.yaml')));
    await sleep(100);
    assert.equal(reloads, 0, 'nothing reloaded while held');

    watcher.release();
    await until('the changes applied', () => changes > 0 && labelOf('late') === 'first' && labelOf('a00') === 'second');
    assert.equal(store.profiles().length, names.length + 1);
  } finally {
    await watcher.stop();
    rmSync(folder, { recursive: true, force: true });
  }
});

test("the store's first read lists nothing the watch has listed, and what came after that listing is reloaded once released", async () => {
  const { folder, write } = profilesFolder();
  mkdirSync(path.join(folder, 'vendor', 'deep'), { recursive: true });
  mkdirSync(path.join(folder, '.hidden'));
  for (const name of ['a', 'b']) write(`${name}.yaml`, storeProfile(name));
  write('vendor/c.yaml', storeProfile('c'));
  write('vendor/deep/d.yaml', storeProfile('d'));
  write('.hidden/e.yaml', storeProfile('e'));
  write('vendor/f.test.yaml', 'cases: []\n');
  symlinkSync(path.join(folder, 'vendor', 'deep'), path.join(folder, 'linked'));
  const store = new ProfileStore(folder, builtInBackendNames());
  let changes = 0;
  const watcher = new ProfileWatcher(store, () => changes++, createLogger('error'), 3_600_000);
  try {
    await watcher.start(true);
    const listedByWatch = await findProfileFiles(folder);
    // After the watch listed the folders: a listing of them now would find these, the store does not.
    write('late.yaml', storeProfile('late'));
    write('vendor/deep/later.yaml', storeProfile('later'));
    const asked: string[] = [];
    await store.loadAll({
      listingOf: (listed) => {
        asked.push(listed);
        return watcher.listingAtStart(listed);
      },
    });
    assert.deepEqual(
      store.files().map((held) => held.file),
      listedByWatch,
    );
    // Every folder the read walked was one the watch had listed (the link's too): none listed twice.
    assert.deepEqual(
      asked.filter((listed) => watcher.listingAtStart(listed) === undefined),
      [],
    );
    // The deep folder was walked into, by its path or the link's (whichever the listing gave first).
    assert.ok(asked.includes(path.join(folder, 'vendor', 'deep')) || asked.includes(path.join(folder, 'linked')));
    assert.ok(!asked.includes(path.join(folder, '.hidden')));

    watcher.release();
    assert.equal(watcher.listingAtStart(folder), undefined, 'the listings are let go once released');
    const names = () =>
      store
        .profiles()
        .map((loaded) => loaded.profile.name)
        .sort();
    await until('the files that came after the listing', () => names().includes('late') && names().includes('later'));
    assert.deepEqual(names(), ['a', 'b', 'c', 'd', 'late', 'later']);
    assert.ok(changes > 0);
  } finally {
    await watcher.stop();
    rmSync(folder, { recursive: true, force: true });
  }
});
