// The daemon's profile store over layered folders (vendor, then site), real files: the site's
// profile of a name is used whatever was loaded first, a mask (empty file or `mask: true`) uses
// the name for nothing, and taking the site's file away hands the name back to the vendor's.
// Each reload says whether the profiles in use changed, so the daemon applies exactly those.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import { ProfileStore } from '../../engine/profiles/profile-store.js';
import { profilesFolder, storeProfile } from './profile-store-fixtures.js';

/** The profile in use for each name, as `name folder/file label`. */
const inUse = (store: ProfileStore) =>
  store
    .profiles()
    .map(
      ({ profile, file }) =>
        `${profile.name} ${path.relative(path.dirname(path.dirname(file)), file)} ${String(profile.map?.name)}`,
    );

test('a later folder replaces and masks an earlier one, and gives the name back when its file goes', async () => {
  const { folder: root, write } = profilesFolder();
  for (const layer of ['vendor', 'site']) mkdirSync(path.join(root, layer));
  try {
    write('vendor/gps.yaml', storeProfile('gps', 'vendor'));
    write('vendor/modem.yaml', storeProfile('modem', 'vendor'));
    const store = new ProfileStore([path.join(root, 'vendor'), path.join(root, 'site')], builtInBackendNames());
    await store.loadAll();
    assert.deepEqual(inUse(store), ['gps vendor/gps.yaml vendor', 'modem vendor/modem.yaml vendor']);

    const override = write('site/gps.yaml', storeProfile('gps', 'site'));
    assert.equal(await store.reload(override), true, 'the site profile takes over at once');
    assert.deepEqual(inUse(store), ['gps site/gps.yaml site', 'modem vendor/modem.yaml vendor']);
    assert.equal(store.fileState(path.join(root, 'vendor/gps.yaml'))?.replacedBy, override);
    assert.deepEqual(store.issues(), [], 'a name in two folders is no duplicate');

    const mask = write('site/modem.yaml', '');
    assert.equal(await store.reload(mask), true);
    assert.deepEqual(inUse(store), ['gps site/gps.yaml site']);
    assert.equal(store.fileState(mask)?.masks, 'modem');

    write('site/modem.yaml', storeProfile('modem', 'site'));
    assert.equal(await store.reload(mask), true, 'a mask turned into a profile');
    assert.deepEqual(inUse(store), ['gps site/gps.yaml site', 'modem site/modem.yaml site']);

    write('site/modem.yaml', 'mask: true\n');
    assert.equal(await store.reload(mask), true);
    write('site/modem.yaml', 'mask: true # still\n');
    assert.equal(await store.reload(mask), false, 'the same mask again changes nothing');

    unlinkSync(override);
    unlinkSync(mask);
    assert.equal(await store.reload(override), true);
    assert.equal(await store.reload(mask), true);
    assert.deepEqual(inUse(store), ['gps vendor/gps.yaml vendor', 'modem vendor/modem.yaml vendor']);
    assert.equal(store.fileState(path.join(root, 'vendor/gps.yaml'))?.replacedBy, undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('at start-up the latest folder wins whatever the paths, and an empty file in the first folder is still an error', async () => {
  const { folder: root, write } = profilesFolder();
  for (const layer of ['b-vendor', 'a-site']) mkdirSync(path.join(root, layer));
  try {
    write('b-vendor/gps.yaml', storeProfile('gps', 'vendor'));
    write('b-vendor/empty.yaml', '');
    write('a-site/gps.yaml', storeProfile('gps', 'site'));
    const store = new ProfileStore([path.join(root, 'b-vendor'), path.join(root, 'a-site')], builtInBackendNames());
    await store.loadAll();
    assert.deepEqual(inUse(store), ['gps a-site/gps.yaml site']);
    assert.deepEqual(
      store.issues().map((issue) => `${path.basename(issue.file)} ${issue.code}`),
      ['empty.yaml empty-file'],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
