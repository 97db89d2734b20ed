// The profiles watcher and a Kubernetes ConfigMap update (a `..data` swap): every file is read
// again once for the swap's event, and the listing of the folder that follows the event asks for
// no second pass (the swap's name is reported by events, and a listing reports such names again
// unless the watcher says what it made of them).
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import type { FolderWatch } from '../../engine/core/folder-watch.js';
import { createLogger } from '../../engine/core/log.js';
import { ProfileStore } from '../../engine/profiles/profile-store.js';
import { ProfileWatcher } from '../../engine/profiles/watch-profiles.js';
import { profilesFolder, storeProfile } from './profile-store-fixtures.js';

const FILES = 20;

/** A store that counts the reloads of each file. */
class CountedStore extends ProfileStore {
  readonly reloads = new Map<string, number>();

  override reload(file: string): Promise<boolean> {
    this.reloads.set(file, (this.reloads.get(file) ?? 0) + 1);
    return super.reload(file);
  }
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('profiles watcher and a ConfigMap swap', () => {
  test('the swap reloads every file once; the listing after it asks for nothing more', async () => {
    const { folder } = profilesFolder();
    const publish = (version: string, label: string) => {
      mkdirSync(path.join(folder, version));
      for (let index = 0; index < FILES; index++)
        writeFileSync(path.join(folder, version, `p${index}.yaml`), storeProfile(`p${index}`, label));
      symlinkSync(version, path.join(folder, '..data_tmp'));
      renameSync(path.join(folder, '..data_tmp'), path.join(folder, '..data'));
    };
    publish('..2026_01_01_00_00_00.1', 'first');
    for (let index = 0; index < FILES; index++)
      symlinkSync(`..data/p${index}.yaml`, path.join(folder, `p${index}.yaml`));
    const store = new CountedStore(folder, builtInBackendNames());
    await store.loadAll();
    let changes = 0;
    // Resyncs are run by the test itself.
    const watcher = new ProfileWatcher(store, () => changes++, createLogger('error'), 3_600_000);
    const internals = watcher as unknown as { watches: FolderWatch; pending: Map<string, boolean> };
    await watcher.start();
    try {
      publish('..2026_01_01_00_01_00.2', 'second');
      await until('every file reloaded', () => store.reloads.size === FILES && changes > 0);
      assert.ok([...store.reloads.values()].every((count) => count === 1));
      await internals.watches.resync();
      assert.deepEqual([...internals.pending.keys()], [], 'the listing asks for no second pass');
      // The swap's link removed: the listing finds it gone, and the files are read again.
      rmSync(path.join(folder, '..data'));
      await internals.watches.resync();
      await until('the files read again', () => [...store.reloads.values()].every((count) => count >= 2));
    } finally {
      await watcher.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
