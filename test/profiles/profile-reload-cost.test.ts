// A profile reload costs that file, not the folder: reloading one file of many validates that
// file alone and serialises no other profile (counted through the store's validator, whose
// profiles count each time they are serialised), so a ConfigMap update of N files costs N, not N².
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import { ProfileStore, type ProfileValidator } from '../../engine/profiles/profile-store.js';
import { validateProfileText } from '../../engine/profiles/validate-profile.js';
import { profilesFolder, storeProfile } from './profile-store-fixtures.js';

const COUNT = 200;

/** A store over COUNT profiles whose validations and serialisations are counted, by file. */
async function countedStore(folder: string) {
  const validated = new Map<string, number>();
  const serialised = new Map<string, number>();
  const add = (counts: Map<string, number>, file: string) => counts.set(file, (counts.get(file) ?? 0) + 1);
  const validate: ProfileValidator = (file, text, context) => {
    add(validated, file);
    const result = validateProfileText(file, text, context);
    // JSON.stringify calls toJSON, enumerable or not: each serialisation of this profile counts.
    if (result.profile)
      Object.defineProperty(result.profile, 'toJSON', {
        value(this: object) {
          add(serialised, file);
          return { ...this };
        },
      });
    return result;
  };
  const store = new ProfileStore(folder, builtInBackendNames(), { validate });
  await store.loadAll();
  const reset = () => {
    validated.clear();
    serialised.clear();
  };
  reset();
  return { store, validated, serialised, reset };
}

describe('the cost of a profile reload', () => {
  test('reloading one edited file validates it alone and serialises no other profile', async () => {
    const { folder, write } = profilesFolder();
    try {
      const files = Array.from({ length: COUNT }, (_, index) =>
        write(`profile-${index}.yaml`, storeProfile(`profile-${index}`)),
      );
      const { store, validated, serialised, reset } = await countedStore(folder);
      assert.equal(store.profiles().length, COUNT);

      const edited = files[7]!;
      write('profile-7.yaml', storeProfile('profile-7', 'second'));
      assert.equal(await store.reload(edited), true);
      assert.deepEqual([...validated], [[edited, 1]]);
      assert.deepEqual(
        [...serialised.keys()].filter((file) => file !== edited),
        [],
        'no other profile serialised',
      );
      assert.equal(store.profiles().find(({ file }) => file === edited)?.profile.map?.name, 'second');

      // The same text again (a ConfigMap update re-reads every file) is not checked again.
      reset();
      for (const file of files) assert.equal(await store.reload(file), false);
      assert.deepEqual([...validated], []);
      assert.deepEqual([...serialised], []);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('reading the whole folder again (SIGHUP) validates only the changed files and reports them', async () => {
    const { folder, write } = profilesFolder();
    try {
      for (let index = 0; index < COUNT; index++) write(`profile-${index}.yaml`, storeProfile(`profile-${index}`));
      const { store, validated, serialised } = await countedStore(folder);
      const edited = write('profile-3.yaml', storeProfile('profile-3', 'second'));
      const added = write('profile-new.yaml', storeProfile('profile-new'));
      const report = await store.reloadAll();
      assert.deepEqual(report, {
        files: COUNT + 1,
        changed: [edited, added],
        updated: [edited, added],
        added: [added],
        removed: [],
      });
      assert.deepEqual([...validated.keys()].sort(), [edited, added]);
      assert.deepEqual(
        [...serialised.keys()].filter((file) => file !== edited),
        [],
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
