// Replays what the Docker image does, since no Docker engine runs here (scripts/image-check.sh
// builds the real one with buildah): pack the package and unpack it (the build stage), install
// the production dependencies from the lockfile with `npm ci --omit=dev` in a folder of their
// own (the deps stage), put them beside the package (the runtime stage), and run it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../paths.js';
import { profileText } from '../../bench/daemon-footprint.js';
import { helpersWanted, PARALLEL_FROM } from '../../engine/profiles/check-in-parallel.js';
import { freePort, runHealthcheck } from './healthcheck-script.js';
import { lockedPackages } from './locked-packages.js';

const npm = (args: string[], cwd: string) =>
  spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    timeout: 240_000,
  });

/** Every package folder under node_modules (scoped ones included), with its version. */
function installedPackages(nodeModules: string): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (folder: string, prefix: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const name = `${prefix}${entry.name}`;
      const dir = path.join(folder, entry.name);
      if (entry.name.startsWith('@')) visit(dir, `${name}/`);
      else {
        found.set(
          `node_modules/${name}`,
          (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version,
        );
        if (existsSync(path.join(dir, 'node_modules'))) visit(path.join(dir, 'node_modules'), `${name}/node_modules/`);
      }
    }
  };
  visit(nodeModules, '');
  return found;
}

test('the image replay: the packed package with exactly the locked production dependencies runs', async () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'engine-pack-'));
  try {
    // Build stage: the compiled engine is already in dist/ (npm test builds first); pack and unpack.
    const packed = npm(['pack', '--ignore-scripts', '--pack-destination', scratch], ROOT);
    assert.equal(packed.status, 0, packed.stderr);
    const tarball = path.join(scratch, packed.stdout.trim().split('\n').pop()!);
    const app = path.join(scratch, 'app');
    mkdirSync(app);
    const unpacked = spawnSync('tar', ['-xzf', tarball, '-C', app, '--strip-components=1'], { encoding: 'utf8' });
    assert.equal(unpacked.status, 0, unpacked.stderr);

    // Deps stage: package.json and the lockfile alone, `npm ci --omit=dev --ignore-scripts`.
    const deps = path.join(scratch, 'deps');
    mkdirSync(deps);
    for (const file of ['package.json', 'package-lock.json'])
      copyFileSync(path.join(ROOT, file), path.join(deps, file));
    const installed = npm(['ci', '--omit=dev', '--ignore-scripts'], deps);
    assert.equal(installed.status, 0, installed.stderr);
    renameSync(path.join(deps, 'node_modules'), path.join(app, 'node_modules'));

    // Exactly what the lockfile names for production, nothing more and no development dependency
    // (`npm install` of the tarball resolves afresh: it once installed usb 2.18.0 where the tests
    // ran 2.9.0).
    const locked = lockedPackages();
    const expected = new Map([...locked].filter(([, entry]) => !entry.dev).map(([key, entry]) => [key, entry.version]));
    assert.deepEqual(installedPackages(path.join(app, 'node_modules')), expected);
    assert.equal(expected.get('node_modules/usb'), locked.get('node_modules/usb')!.version);
    assert.ok(!existsSync(path.join(app, 'node_modules', 'typescript')));

    // The package holds the bundles (scripts/bundle.mjs), not the modules tsc wrote, and every
    // file a bundle names relative to itself (a worker, the validators, package.json) is in it.
    assert.ok(!existsSync(path.join(app, 'dist', 'engine', 'daemon')), 'the unbundled modules were packed');
    const named = bundledUrls(path.join(app, 'dist', 'engine'));
    for (const worker of ['check-worker.js', 'status-worker.js', 'core/validators/', '../../package.json'])
      assert.ok(
        named.some((url) => url.relative === `./${worker}` || url.relative === worker),
        worker,
      );
    for (const { bundle, relative, target } of named) assert.ok(existsSync(target), `${bundle} names ${relative}`);

    // Runtime stage: the image's entrypoint runs dist/engine/cli.js.
    const cli = path.join(app, 'dist', 'engine', 'cli.js');
    const version = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(
      version.stdout,
      `${(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`,
    );

    const validated = spawnSync(process.execPath, [cli, 'validate', path.join(app, 'profiles')], { encoding: 'utf8' });
    assert.equal(validated.status, 0, validated.stdout + validated.stderr);
    assert.match(validated.stdout, /files checked: 0 errors, 0 warnings/);

    // A daemon start against the shipped profiles as the image's CMD runs it, on another port
    // than 6769: the image's health check finds that port on the engine's command line.
    writeFileSync(path.join(scratch, 'engine.yaml'), 'backends:\n  nuvlabox: { type: stdout }\n');
    const port = await freePort();
    const daemon = spawn(
      process.execPath,
      [
        cli,
        '--profiles',
        path.join(app, 'profiles'),
        '--state',
        path.join(scratch, 'state'),
        '--config',
        path.join(scratch, 'engine.yaml'),
        '--host',
        '0.0.0.0',
        '--port',
        String(port),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    daemon.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', resolve));
    try {
      const deadline = Date.now() + 60_000;
      while (!log.includes('"engine ready"') && daemon.exitCode === null && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.match(log, /"engine ready"/);
      const health = await runHealthcheck(daemon.pid);
      assert.equal(health.status, 0, health.stderr);
    } finally {
      daemon.kill('SIGTERM');
    }
    assert.equal(await exited, 0);

    // A folder large enough for the helper threads: they check from their bundle and end saying
    // none failed; without their bundle, the engine checks every file itself and says why.
    if (helpersWanted() > 0) {
      const profiles = path.join(scratch, 'many');
      mkdirSync(profiles);
      for (let index = 0; index < PARALLEL_FROM + 100; index++)
        writeFileSync(path.join(profiles, `generated-${index}.yaml`), profileText('file', index, scratch));
      const helped = await startUntilHelpersEnd(cli, profiles, scratch);
      assert.equal(helped.ready.profiles, PARALLEL_FROM + 100);
      assert.equal(helped.ended.failed, 0, helped.log);
      assert.doesNotMatch(helped.log, /helper thread failed/);
      rmSync(path.join(app, 'dist', 'engine', 'check-worker.js'));
      const alone = await startUntilHelpersEnd(cli, profiles, scratch);
      assert.equal(alone.ready.profiles, PARALLEL_FROM + 100);
      assert.equal(alone.ready.helped, 0);
      assert.equal(alone.ended.failed, alone.ended.helpers, alone.log);
      assert.match(
        alone.log,
        /"a profile check helper thread failed; this thread checked its files".*check-worker\.js/,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

/** Each `new URL('<relative>', import.meta.url)` in the bundles of `folder`, with the file it names. */
function bundledUrls(folder: string): { bundle: string; relative: string; target: string }[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.js'))
    .flatMap((bundle) =>
      [...readFileSync(path.join(folder, bundle), 'utf8').matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)].map(
        ([, relative]) => ({ bundle, relative: relative!, target: path.resolve(folder, relative!) }),
      ),
    );
}

/**
 * Starts the packed engine on `profiles` at debug level until its check helpers have ended, then
 * stops it: the `engine ready` and `profile check helpers ended` lines, and the whole log.
 */
async function startUntilHelpersEnd(
  cli: string,
  profiles: string,
  scratch: string,
): Promise<{ ready: { profiles: number; helped: number }; ended: { helpers: number; failed: number }; log: string }> {
  const state = mkdtempSync(path.join(scratch, 'state-'));
  const args = ['--profiles', profiles, '--state', state, '--config', path.join(scratch, 'engine.yaml'), '--port', '0'];
  const daemon = spawn(process.execPath, [cli, ...args, '--log-level', 'debug'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  daemon.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<number | null>((resolve) => daemon.on('exit', resolve));
  const line = (msg: string) =>
    log
      .split('\n')
      .filter((text) => text.includes(`"msg":"${msg}"`))
      .map((text) => JSON.parse(text) as Record<string, number>)[0];
  try {
    const deadline = Date.now() + 120_000;
    while (
      !(line('engine ready') && line('profile check helpers ended')) &&
      daemon.exitCode === null &&
      Date.now() < deadline
    )
      await new Promise((resolve) => setTimeout(resolve, 50));
    const ready = line('engine ready');
    const ended = line('profile check helpers ended');
    assert.ok(ready && ended, log);
    return {
      ready: { profiles: ready.profiles!, helped: ready.helped! },
      ended: { helpers: ended.helpers!, failed: ended.failed! },
      log,
    };
  } finally {
    daemon.kill('SIGTERM');
    assert.equal(await exited, 0, log);
  }
}
