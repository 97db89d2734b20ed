// Start-up that refuses clearly: what a user can get wrong (a busy port, a state folder in use,
// a profiles path that is a file) is one line naming it and a non-zero exit, never a stack trace;
// a signal during start-up stops the engine cleanly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startEngine, waitFor, workspace, type LogLine } from './daemon/engine-process.js';
import { CLI, runCli } from './paths.js';

const STACK_FRAME = /^\s+at /m;

test('a busy port is one line naming host:port, exit 1', async () => {
  const space = workspace();
  const other = workspace();
  writeFileSync(space.config, '{}\n');
  const engine = await startEngine(space);
  try {
    const result = runCli(['--profiles', other.profiles, '--state', other.state, '--port', String(engine.port)]);
    assert.equal(result.status, 1);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('engine: '));
    assert.deepEqual(errors, [
      `engine: cannot listen on 127.0.0.1:${engine.port}: the address is in use (another engine?); choose another --port`,
    ]);
    assert.doesNotMatch(result.stderr, STACK_FRAME);
  } finally {
    await engine.stop();
    rmSync(space.root, { recursive: true, force: true });
    rmSync(other.root, { recursive: true, force: true });
  }
});

test('a state folder in use by a running engine refuses a second one, naming the folder and the holder', async () => {
  const space = workspace();
  writeFileSync(space.config, '{}\n');
  const engine = await startEngine(space);
  try {
    const holder = readFileSync(path.join(space.state, 'engine.lock'), 'utf8').trim();
    const result = runCli(['--profiles', space.profiles, '--state', space.state, '--port', '0']);
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      `engine: the state folder ${space.state} is in use by another engine (pid ${holder}); give this one its own --state\n`,
    );
    // Stopped, it releases the folder; a lock left by a killed engine is taken over.
    assert.equal(await engine.stop(), 0);
    writeFileSync(path.join(space.state, 'engine.lock'), '999999999\n');
    const next = await startEngine(space);
    assert.equal(await next.stop(), 0);
  } finally {
    rmSync(space.root, { recursive: true, force: true });
  }
});

test('a profiles path that is a file, or unreadable, is one line, exit 1', () => {
  const space = workspace();
  try {
    const file = path.join(space.root, 'profile.yaml');
    writeFileSync(file, 'name: x\n');
    const asFile = runCli(['--profiles', file, '--state', space.state, '--port', '0']);
    assert.deepEqual(
      [asFile.status, asFile.stderr],
      [1, `engine: --profiles ${file} is not a folder (give the folder that holds the profiles)\n`],
    );
    if (process.getuid?.() !== 0) {
      chmodSync(space.profiles, 0o000);
      const unreadable = runCli(['--profiles', space.profiles, '--state', space.state, '--port', '0']);
      chmodSync(space.profiles, 0o755);
      assert.deepEqual(
        [unreadable.status, unreadable.stderr],
        [1, `engine: cannot read the profiles folder ${space.profiles}: permission denied\n`],
      );
    }
  } finally {
    rmSync(space.root, { recursive: true, force: true });
  }
});

test('a config with errors and no --profiles reports the config, not a missing ./profiles: exit 1', () => {
  const space = workspace();
  try {
    const config = path.join(space.root, 'broken.yaml');
    writeFileSync(config, 'profiles: { folders: [./site] }\ndelivery: { concurrency: 0 }\n');
    // Run where there is no ./profiles: the config's folders are all there is to read.
    const elsewhere = path.join(space.root, 'elsewhere');
    mkdirSync(elsewhere);
    const result = runCli(['--config', config, '--state', space.state, '--port', '0'], { cwd: elsewhere });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /concurrency/);
    assert.doesNotMatch(result.stderr, /no such profiles folder/);
    assert.doesNotMatch(result.stderr, STACK_FRAME);
  } finally {
    rmSync(space.root, { recursive: true, force: true });
  }
});

test('SIGTERM during start-up stops the engine cleanly: exit 0, state saved, no stack trace', async () => {
  const space = workspace();
  writeFileSync(space.config, '{}\n');
  try {
    const child = spawn(
      process.execPath,
      [CLI, '--profiles', space.profiles, '--state', space.state, '--config', space.config, '--port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    // The status server is the first thing started: the signal comes while the rest starts.
    await waitFor('the status server', () => stderr.includes('"status server listening"'));
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
    const logs = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LogLine);
    assert.ok(
      logs.some((line) => line.msg === 'shutting down during start-up' || line.msg === 'shutting down'),
      stderr,
    );
    assert.equal(logs.at(-1)!.msg, 'engine stopped');
    assert.doesNotMatch(stderr, STACK_FRAME);
  } finally {
    rmSync(space.root, { recursive: true, force: true });
  }
});
