// Replays what the Docker image does, since no Docker engine runs here: pack the package,
// install the tarball with production dependencies only into an empty folder, and run it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../paths.js';

const npm = (args: string[], cwd: string) => spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 240_000 });

test('the packed package installs with production dependencies only and runs', async () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'engine-pack-'));
  try {
    // The compiled engine is already in dist/ (npm test builds first); the image builds it too.
    const packed = npm(['pack', '--ignore-scripts', '--pack-destination', scratch], ROOT);
    assert.equal(packed.status, 0, packed.stderr);
    const tarball = path.join(scratch, packed.stdout.trim().split('\n').pop()!);
    const app = path.join(scratch, 'app');
    spawnSync('mkdir', [app]);
    writeFileSync(path.join(app, 'package.json'), '{"name":"app","private":true}');
    const installed = npm(['install', '--omit=dev', tarball], app);
    assert.equal(installed.status, 0, installed.stderr);
    const engine = path.join(app, 'node_modules', '.bin', 'engine');
    const packageDir = path.join(app, 'node_modules', 'device-profile-engine');
    // No development dependency came along.
    assert.equal(spawnSync('test', ['-e', path.join(app, 'node_modules', 'typescript')]).status, 1);

    const version = spawnSync(engine, ['--version'], { encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);

    const validated = spawnSync(engine, ['validate', path.join(packageDir, 'profiles')], { encoding: 'utf8' });
    assert.equal(validated.status, 0, validated.stdout + validated.stderr);
    assert.match(validated.stdout, /files checked: 0 errors, 0 warnings/);

    // A short daemon start against the shipped profiles, as the image's CMD runs it.
    writeFileSync(path.join(scratch, 'engine.yaml'), 'backends:\n  nuvlabox: { type: stdout }\n');
    const daemon = spawn(engine, ['--profiles', path.join(packageDir, 'profiles'), '--state', path.join(scratch, 'state'), '--config', path.join(scratch, 'engine.yaml'), '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    daemon.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', resolve));
    const deadline = Date.now() + 20_000;
    while (!log.includes('"engine ready"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(log, /"engine ready"/);
    const port = Number(/"engine ready".*"port":(\d+)/.exec(log)![1]);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    daemon.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
