// The profile checks kept from one start to the next (engine/profiles/check-cache.ts): a restart
// checks only the texts it has not checked before, ends with the very profiles and issues a first
// start gives, and a cache of another build, folders or backends, or a damaged one, is no cache.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { builtInBackendNames, type BackendNames } from '../../engine/backends/index.js';
import { createLogger } from '../../engine/core/log.js';
import { CHECK_CACHE_FILE, CheckCache } from '../../engine/profiles/check-cache.js';
import { ProfileStore, type ProfileValidator } from '../../engine/profiles/profile-store.js';
import { validateProfileText } from '../../engine/profiles/validate-profile.js';
import { profilesFolder, storeProfile } from './profile-store-fixtures.js';

const BUILD = 'build-a';

type Line = { level: string; msg: string } & Record<string, unknown>;

/** A logger whose lines are kept, parsed. */
function logged(): { lines: Line[]; log: ReturnType<typeof createLogger> } {
  const lines: Line[] = [];
  return { lines, log: createLogger('debug', (line) => lines.push(JSON.parse(line) as Line)) };
}

/** A store whose checks are counted, by file. */
function countedStore(folder: string, backends: BackendNames = builtInBackendNames()) {
  const checked: string[] = [];
  const validate: ProfileValidator = (file, text, context) => {
    checked.push(path.basename(file));
    return validateProfileText(file, text, context);
  };
  return { store: new ProfileStore(folder, backends, { validate }), checked };
}

/** What a store ends with: the profiles in use, every issue, each file's state. */
const outcome = (store: ProfileStore) => ({ profiles: store.profiles(), issues: store.issues(), files: store.files() });

/** A store loaded from a folder of one profile, a state folder, and a logger; all removed after. */
async function withOneProfile(
  body: (context: { store: ProfileStore; state: string } & ReturnType<typeof logged>) => Promise<void>,
): Promise<void> {
  const { folder, write } = profilesFolder();
  const state = mkdtempSync(path.join(tmpdir(), 'engine-state-'));
  try {
    write('a.yaml', storeProfile('alpha'));
    const { store } = countedStore(folder);
    await store.loadAll();
    await body({ store, state, ...logged() });
  } finally {
    rmSync(folder, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
}

describe('profile checks kept across a restart', () => {
  test('a restart checks only what changed and ends as a first start would', async () => {
    const { folder, write } = profilesFolder();
    const state = mkdtempSync(path.join(tmpdir(), 'engine-state-'));
    try {
      write('a.yaml', storeProfile('alpha'));
      write('b.yaml', storeProfile('beta'));
      write('c.yaml', 'name: broken\ndetect: [\n');
      write('d.yaml', storeProfile('alpha', 'second')); // the same name as a.yaml: a.yaml's is used
      write('e.yaml', storeProfile('gamma'));
      const { log } = logged();
      const first = countedStore(folder);
      assert.deepEqual(
        await first.store.loadAll({
          known: new CheckCache(state, first.store.folders, builtInBackendNames(), log, BUILD).load(),
        }),
        {
          checked: 5,
          reused: 0,
          helped: 0,
        },
      );
      await new CheckCache(state, first.store.folders, builtInBackendNames(), log, BUILD).save(
        first.store.knownChecks(),
      );

      // While the engine is down: one file edited, one removed, one added.
      write('b.yaml', storeProfile('beta', 'edited'));
      rmSync(path.join(folder, 'e.yaml'));
      write('f.yaml', storeProfile('delta'));

      const again = countedStore(folder);
      const known = new CheckCache(state, again.store.folders, builtInBackendNames(), log, BUILD).load();
      assert.equal(known.size, 5);
      assert.deepEqual(await again.store.loadAll({ known }), { checked: 2, reused: 3, helped: 0 });
      assert.deepEqual(again.checked.sort(), ['b.yaml', 'f.yaml']);

      const fresh = countedStore(folder);
      await fresh.store.loadAll();
      assert.deepEqual(outcome(again.store), outcome(fresh.store));
      assert.equal(
        again.store.profiles().find((entry) => entry.profile.name === 'beta')!.profile.map!['name'],
        'edited',
      );
      assert.deepEqual(
        again.store.profiles().map((entry) => path.basename(entry.file)),
        ['a.yaml', 'b.yaml', 'f.yaml'],
        'of two files naming alpha, the first by path is used, as at a first start',
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });

  test('checks kept by another build, for other folders or other backends are not used', async () => {
    await withOneProfile(async ({ store, state, log, lines }) => {
      const backends = builtInBackendNames();
      await new CheckCache(state, store.folders, backends, log, BUILD).save(store.knownChecks());
      assert.equal(new CheckCache(state, store.folders, backends, log, BUILD).load().size, 1);
      assert.equal(new CheckCache(state, store.folders, backends, log, 'build-b').load().size, 0);
      assert.equal(new CheckCache(state, ['/elsewhere'], backends, log, BUILD).load().size, 0);
      const more: BackendNames = new Map([...backends, ['hook', backends.get('stdout')!]]);
      assert.equal(new CheckCache(state, store.folders, more, log, BUILD).load().size, 0);
      assert.deepEqual(
        lines.filter((line) => line.level === 'warn'),
        [],
        'another key is no damage',
      );
    });
  });

  test('a damaged or cut file is no cache, with a warning; a build without an id keeps nothing', async () => {
    await withOneProfile(async ({ store, state, log }) => {
      const cache = new CheckCache(state, store.folders, builtInBackendNames(), log, BUILD);
      await cache.save(store.knownChecks());
      const bytes = readFileSync(cache.file);
      const flipped = Buffer.from(bytes);
      flipped[flipped.length - 3]! ^= 0xff;
      for (const damaged of [flipped, bytes.subarray(0, bytes.length - 10), Buffer.from('not a cache')]) {
        writeFileSync(cache.file, damaged);
        const reader = logged();
        assert.equal(new CheckCache(state, store.folders, builtInBackendNames(), reader.log, BUILD).load().size, 0);
        assert.deepEqual(
          reader.lines.map((line) => `${line.level} ${line.msg}`),
          ['warn the profile checks of the last start cannot be read; every profile is checked'],
        );
      }

      rmSync(cache.file);
      await new CheckCache(state, store.folders, builtInBackendNames(), log, null).save(store.knownChecks());
      assert.throws(() => readFileSync(path.join(state, CHECK_CACHE_FILE)), /ENOENT/);
    });
  });

  test('a state folder that cannot be written costs the cache, said once, and throws nothing', async () => {
    await withOneProfile(async ({ store, state, log, lines }) => {
      // A file where the state folder should be: no write can succeed, even as root.
      const notAFolder = path.join(state, 'file');
      writeFileSync(notAFolder, '');
      await new CheckCache(notAFolder, store.folders, builtInBackendNames(), log, BUILD).save(store.knownChecks());
      assert.deepEqual(
        lines.filter((line) => line.level === 'warn').map((line) => line.msg),
        ['the profile checks could not be kept for the next start; it will check every profile'],
      );
    });
  });
});
