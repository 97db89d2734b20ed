// Profile names used by several files in a running daemon: a duplicate added while running never
// displaces the profile in use, whatever the paths' order, and is reported; when the file in use
// lets the name go, the first remaining file by path takes over (as a restart would pick).
import assert from 'node:assert/strict';
import { rmSync, unlinkSync } from 'node:fs';
import { describe, test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import { ProfileStore } from '../../engine/profiles/profile-store.js';
import { profilesFolder, storeProfile } from './profile-store-fixtures.js';

/** The file and payload label of the profile in use for each name, and each file's duplicate-name issue. */
function state(store: ProfileStore) {
  return {
    inUse: store
      .profiles()
      .map(({ profile, file }) => `${profile.name} ${file.split('/').pop()} ${String(profile.map?.name)}`),
    duplicates: store
      .issues()
      .filter((issue) => issue.code === 'duplicate-name')
      .map((issue) => `${issue.file.split('/').pop()} ${issue.severity}`),
  };
}

async function withStore(run: (store: ProfileStore, write: (file: string, text: string) => string) => Promise<void>) {
  const { folder, write } = profilesFolder();
  try {
    await run(new ProfileStore(folder, builtInBackendNames()), write);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('duplicate profile names in the profile store', () => {
  test('at start-up the first file by path is used and the others are errors', () =>
    withStore(async (store, write) => {
      write('b.yaml', storeProfile('gps', 'from b'));
      write('a.yaml', storeProfile('gps', 'from a'));
      await store.loadAll();
      assert.deepEqual(state(store), { inUse: ['gps a.yaml from a'], duplicates: ['a.yaml warning', 'b.yaml error'] });
      assert.equal(store.fileState(store.files()[1]!.file)?.inUse, undefined, 'b.yaml has no profile in use');
    }));

  test('a file that sorts first, added while running, does not displace the profile in use', () =>
    withStore(async (store, write) => {
      write('z.yaml', storeProfile('gps', 'from z'));
      await store.loadAll();
      const newcomer = write('a.yaml', storeProfile('gps', 'from a'));
      assert.equal(await store.reload(newcomer), false, 'the profiles in use did not change');
      assert.deepEqual(state(store), { inUse: ['gps z.yaml from z'], duplicates: ['a.yaml error', 'z.yaml warning'] });
      assert.deepEqual(
        store.issuesOf(newcomer).map((issue) => issue.code),
        ['duplicate-name'],
      );
    }));

  test('editing the newcomer, or the file in use, keeps the one in use', () =>
    withStore(async (store, write) => {
      const inUse = write('z.yaml', storeProfile('gps', 'from z'));
      await store.loadAll();
      const newcomer = write('a.yaml', storeProfile('gps', 'from a'));
      await store.reload(newcomer);
      write('a.yaml', storeProfile('gps', 'from a, edited'));
      assert.equal(await store.reload(newcomer), false);
      write('z.yaml', storeProfile('gps', 'from z, edited'));
      assert.equal(await store.reload(inUse), true);
      assert.deepEqual(state(store).inUse, ['gps z.yaml from z, edited']);
    }));

  test('when the file in use goes, the first remaining file by path takes over', () =>
    withStore(async (store, write) => {
      const inUse = write('m.yaml', storeProfile('gps', 'from m'));
      await store.loadAll();
      for (const file of ['x.yaml', 'b.yaml']) await store.reload(write(file, storeProfile('gps', `from ${file[0]}`)));
      assert.deepEqual(state(store).inUse, ['gps m.yaml from m']);
      unlinkSync(inUse);
      assert.equal(await store.reload(inUse), true);
      assert.deepEqual(state(store), { inUse: ['gps b.yaml from b'], duplicates: ['b.yaml warning', 'x.yaml error'] });
    }));

  test('when the file in use renames its profile, the name passes on and the new name is checked too', () =>
    withStore(async (store, write) => {
      const inUse = write('m.yaml', storeProfile('gps', 'from m'));
      write('n.yaml', storeProfile('modem', 'from n'));
      await store.loadAll();
      await store.reload(write('a.yaml', storeProfile('gps', 'from a')));
      write('m.yaml', storeProfile('modem', 'from m'));
      assert.equal(await store.reload(inUse), true);
      assert.deepEqual(state(store), {
        inUse: ['gps a.yaml from a', 'modem n.yaml from n'],
        duplicates: ['m.yaml error', 'n.yaml warning'],
      });
    }));

  test('a broken duplicate keeps its last good version out of use and says nothing of keeping it', () =>
    withStore(async (store, write) => {
      write('z.yaml', storeProfile('gps', 'from z'));
      await store.loadAll();
      const newcomer = write('a.yaml', storeProfile('gps', 'from a'));
      await store.reload(newcomer);
      write('a.yaml', `${storeProfile('gps', 'from a')}  - { backend: [broken\n`);
      await store.reload(newcomer);
      assert.deepEqual(state(store).inUse, ['gps z.yaml from z']);
      assert.equal(store.fileState(newcomer)?.keptLastGood, false);
    }));
});
