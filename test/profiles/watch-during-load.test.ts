// The profiles watcher started before the store reads the folders (as the daemon starts it): a
// file added, and one edited after the store read it, while the folders are being read are
// reloaded once the watcher is released, and not before (a reload must not take a file ahead of
// the store's first read of it).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import { createLogger } from '../../engine/core/log.js';
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
