// `npm run prepare`: builds (`npm run build`) unless dist/ was built from exactly these sources.
//
// npm runs `prepare` after `npm ci` and `npm install`, and once more the first time `npx engine`
// runs in a clone: npx finds the `engine` bin in this folder's package.json, links the folder into
// its own cache (~/.npm/_npx/) and runs the linked package's `prepare` there, which rebuilt a
// dist/ that `npm ci` had built a moment before (49-74 s to the status server on a loaded
// 2-core machine). A stamp in dist/ holds a hash of every input of the build, written once a
// build succeeds; a prepare that finds the same hash has nothing to do.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What tsc compiles (tsconfig.json's `include`), and what decides how. */
const SOURCE_FOLDERS = ['engine', 'test', 'bench'];
const SETTINGS = ['tsconfig.json', 'package.json', 'package-lock.json', 'scripts/bundle.mjs'];
const STAMP = path.join('dist', '.built-from');

function inputsHash() {
  const hash = createHash('sha256');
  const sources = SOURCE_FOLDERS.flatMap((folder) =>
    readdirSync(folder, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => path.join(folder, file)),
  );
  for (const file of [...SETTINGS.filter((file) => existsSync(file)), ...sources.sort()]) {
    // The name too: a renamed file is a change.
    hash.update(`${file}\0`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

const wanted = inputsHash();
const built = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : undefined;
if (built === wanted && existsSync(path.join('dist', 'engine', 'cli.js'))) {
  console.log('dist/ is already built from these sources; `npm run build` builds it again');
  process.exit(0);
}
const npm = process.env.npm_execpath
  ? spawnSync(process.execPath, [process.env.npm_execpath, 'run', 'build'], { stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (npm.status !== 0) process.exit(npm.status ?? 1);
writeFileSync(STAMP, `${wanted}\n`);
