// npm runs the package's `prepare` after `npm ci`, and again when the first `npx engine` links
// the folder into npx's cache: the second must not build what the first just built. Replayed
// in a scratch package holding the repository's real `prepare` script and
// scripts/build-if-changed.mjs, whose `build` only counts its runs (the real one takes a minute).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../paths.js';

/** A build that records each run and leaves a dist/engine/cli.js; it fails while `fail` exists. */
const COUNTING_BUILD = `node -e "const fs = require('node:fs'); if (fs.existsSync('fail')) process.exit(3); fs.mkdirSync('dist/engine', { recursive: true }); fs.writeFileSync('dist/engine/cli.js', ''); fs.appendFileSync('builds.log', 'built\\\\n')"`;

function scratchPackage(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'engine-prepare-'));
  const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  writeFileSync(
    path.join(root, 'package.json'),
    JSON.stringify({
      name: 'prepare-replay',
      version: '0.0.0',
      scripts: { prepare: scripts.prepare, build: COUNTING_BUILD },
    }),
  );
  writeFileSync(path.join(root, 'package-lock.json'), '{}');
  writeFileSync(path.join(root, 'tsconfig.json'), '{}');
  for (const folder of ['engine', 'test', 'bench', 'scripts']) mkdirSync(path.join(root, folder));
  writeFileSync(path.join(root, 'engine', 'cli.ts'), 'export {};\n');
  copyFileSync(path.join(ROOT, 'scripts', 'build-if-changed.mjs'), path.join(root, 'scripts', 'build-if-changed.mjs'));
  return root;
}

function prepare(root: string): number | null {
  const result = spawnSync('npm', ['run', 'prepare', '--loglevel=error'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return result.status;
}

const builds = (root: string) => readFileSync(path.join(root, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;

test('prepare builds once for the same sources, again after a change, and after a failed build', () => {
  const root = scratchPackage();
  try {
    assert.equal(prepare(root), 0);
    assert.equal(builds(root), 1, 'a fresh clone is built');
    assert.equal(prepare(root), 0);
    assert.equal(builds(root), 1, 'what npx runs right after npm ci builds nothing');
    writeFileSync(path.join(root, 'engine', 'cli.ts'), 'export const changed = true;\n');
    assert.equal(prepare(root), 0);
    assert.equal(builds(root), 2, 'a changed source is built');
    writeFileSync(path.join(root, 'test', 'new.test.ts'), 'export {};\n');
    writeFileSync(path.join(root, 'fail'), '');
    assert.notEqual(prepare(root), 0, 'a failed build fails prepare');
    rmSync(path.join(root, 'fail'));
    assert.equal(prepare(root), 0);
    assert.equal(builds(root), 3, 'a failed build leaves no stamp: the next prepare builds');
    rmSync(path.join(root, 'dist', 'engine', 'cli.js'));
    assert.equal(prepare(root), 0);
    assert.equal(builds(root), 4, 'a dist/ without the command is built again');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
