// The daemon checks a large profiles folder on helper threads as well as its own
// (check-in-parallel.ts). Whichever thread checked a file, the store must hold exactly what it
// holds when one thread checks them all: the same profiles in use, the same issues, taken in the
// same order (of two files of one folder with one name, the first by path is used). A helper
// that stops half-way, or whose thread is gone, loses no file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { builtInBackendNames } from '../../engine/backends/index.js';
import {
  batchOf,
  CHECK_BATCH,
  CheckHelper,
  checkInParallel,
  PARALLEL_FROM,
} from '../../engine/profiles/check-in-parallel.js';
import { checkRead, type FileCheck } from '../../engine/profiles/file-check.js';
import { findProfileFiles, validationContext } from '../../engine/profiles/load-profiles.js';
import { layerOfFile } from '../../engine/profiles/profile-layers.js';
import { ProfileStore } from '../../engine/profiles/profile-store.js';
import { readProfileFileSync } from '../../engine/profiles/read-profile-file.js';
import { validateProfileText } from '../../engine/profiles/validate-profile.js';
import { profilesFolder, storeProfile } from './profile-store-fixtures.js';

const backends = builtInBackendNames();
const context = validationContext(backends);

/**
 * A vendor folder of more than PARALLEL_FROM files and a site folder over it, with what makes
 * the order and the outcome of each check matter: broken YAML, schema errors, names used twice
 * in one folder (early and late in it), a FIFO, and the site's replacements and masks.
 */
function largeLayeredFolders(): { root: string; folders: string[] } {
  const { folder: root, write } = profilesFolder();
  for (const layer of ['vendor', 'site']) mkdirSync(path.join(root, layer));
  const count = PARALLEL_FROM + 3 * CHECK_BATCH + 7;
  for (let index = 0; index < count; index++) {
    const file = `vendor/p-${String(index).padStart(5, '0')}.yaml`;
    if (index === 500) assert.equal(spawnSync('mkfifo', [path.join(root, file)]).status, 0);
    else if (index % 97 === 5) write(file, 'name: [unclosed\n');
    else if (index % 89 === 7) write(file, `name: schema-${index}\ndetect: 3\n`);
    else if (index === 3 || index === count - 2) write(file, storeProfile('twice-far-apart', `copy ${index}`));
    else if (index === 700 || index === 701) write(file, storeProfile('twice-side-by-side', `copy ${index}`));
    // One name in neighbouring batches, all along the folder: whichever thread checks the later
    // one first, the earlier file keeps the name.
    else if (index % CHECK_BATCH === 9) write(file, storeProfile(`pair-${index >> 7}`, `copy ${index}`));
    else write(file, storeProfile(`generated-${index}`, `vendor ${index}`));
  }
  write('site/override.yaml', storeProfile('generated-10', 'site'));
  write('site/generated-11.yaml', '');
  write('site/masked.yaml', 'name: generated-12\nmask: true\n');
  write('site/late.yaml', storeProfile(`generated-${count - 1}`, 'site'));
  return { root, folders: [path.join(root, 'vendor'), path.join(root, 'site')] };
}

/** The folders' files in the store's order, and the check this thread makes of one. */
async function filesAndCheck(folders: string[]): Promise<{ files: string[]; checkHere: (file: string) => FileCheck }> {
  const files = (await Promise.all(folders.map((folder) => findProfileFiles(folder)))).flat();
  const layerOf = layerOfFile(folders);
  const checkHere = (file: string) =>
    checkRead(file, readProfileFileSync(file), layerOf(file), (named, text) =>
      validateProfileText(named, text, context),
    )!;
  return { files, checkHere };
}

/** All a store holds, as the status server and the daemon read it. */
const held = (store: ProfileStore) => ({ files: store.files(), profiles: store.profiles(), issues: store.issues() });

test('a folder checked with helper threads is held exactly as one checked by one thread', async () => {
  const { root, folders } = largeLayeredFolders();
  try {
    const alone = new ProfileStore(folders, backends);
    await alone.loadAll();
    const expected = held(alone);
    // The comparison means something: the folder holds what each of these checks finds.
    assert.ok(expected.profiles.length > PARALLEL_FROM);
    const codes = new Set<string>(expected.issues.map((issue) => issue.code));
    for (const code of ['yaml-syntax', 'wrong-type', 'duplicate-name']) assert.ok(codes.has(code), code);
    for (const helpers of [1, 2, 3]) {
      const helped = new ProfileStore(folders, backends);
      await helped.loadAll({ helpers: CheckHelper.start(helpers) });
      assert.deepEqual(held(helped), expected, `with ${helpers} helpers`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a helper checks every batch it claims as this thread checks it', async () => {
  const { root, folders } = largeLayeredFolders();
  try {
    const { files, checkHere } = await filesAndCheck(folders);
    const [helper] = CheckHelper.start(1);
    const batches = new Map<number, FileCheck[]>();
    // Alone on its job, the helper claims every batch.
    helper!.assign(
      {
        files,
        folders,
        backends: [...backends].map(([name, definition]) => [name, definition.type]),
        claims: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
      },
      ({ batch, checks }) => batches.set(batch, checks),
    );
    await helper!.gone;
    assert.deepEqual(
      [...batches.keys()].sort((a, b) => a - b),
      [...Array(Math.ceil(files.length / CHECK_BATCH)).keys()],
    );
    for (const [batch, checks] of batches)
      assert.deepEqual(checks, batchOf(files, batch).map(checkHere), `batch ${batch}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the checks reach the store in file order whichever thread made them, and ended helpers lose none', async () => {
  const { root, folders } = largeLayeredFolders();
  try {
    const { files, checkHere } = await filesAndCheck(folders);
    const expected = files.map((file) => ({ file, check: checkHere(file) }));
    for (const endWhen of ['never', 'at once', 'at the first file a helper checked'] as const) {
      const helpers = CheckHelper.start(2);
      if (endWhen === 'at once') for (const helper of helpers) helper.end();
      const checkedHere = new Set<string>();
      const taken: { file: string; check: FileCheck }[] = [];
      await checkInParallel(
        files,
        (file) => {
          checkedHere.add(file);
          // This thread goes slowly, so that the helpers, once started, check most batches and
          // hand them over before the batch this thread is on; ended, they leave the batch each
          // was checking to this thread.
          const until = performance.now() + 0.5;
          while (performance.now() < until);
          return checkHere(file);
        },
        (file, check) => {
          if (endWhen !== 'never' && !checkedHere.has(file)) for (const helper of helpers) helper.end();
          taken.push({ file, check });
        },
        { started: helpers, folders, backends },
      );
      assert.deepEqual(taken, expected, `helpers ended ${endWhen}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a helper whose thread fails leaves its files to this thread, and says why once it has ended', async () => {
  const { root, folders } = largeLayeredFolders();
  try {
    const { files, checkHere } = await filesAndCheck(folders);
    const broken = path.join(root, 'broken-worker.mjs');
    writeFileSync(broken, "throw new Error('this helper cannot check');\n");
    const helpers = CheckHelper.start(2, pathToFileURL(broken));
    assert.equal(helpers.length, 2);
    const taken: { file: string; check: FileCheck }[] = [];
    const helped = await checkInParallel(files, checkHere, (file, check) => taken.push({ file, check }), {
      started: helpers,
      folders,
      backends,
    });
    assert.equal(helped, 0);
    assert.deepEqual(
      taken,
      files.map((file) => ({ file, check: checkHere(file) })),
    );
    // Given a job, a helper is not ended by whoever started it: it ends by itself, here failing.
    for (const helper of helpers) helper.endIfIdle();
    await Promise.all(helpers.map((helper) => helper.gone));
    for (const helper of helpers) assert.match(helper.failure ?? '', /this helper cannot check/);
    // A helper that did its job ends without a failure.
    const [working] = CheckHelper.start(1);
    await checkInParallel(files, checkHere, () => undefined, { started: [working!], folders, backends });
    working!.endIfIdle();
    await working!.gone;
    assert.equal(working!.failure, undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
