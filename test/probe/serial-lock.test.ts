// The UUCP lock file convention, on real folders: a live holder keeps the port, a dead one's
// lock is removed, ours is HDB text (10 characters and a newline) created in the first folder
// that takes it and removed only while it is still ours.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { takeSerialLock } from '../../engine/probe/serial-lock.js';

/** A pid that no process has: a child that has exited and been reaped. */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('true', { stdio: 'ignore' });
    child.on('close', () => resolve(child.pid!));
  });
}

describe('UUCP lock files', () => {
  let folder: string;
  let sleeper: ChildProcess;
  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'engine-lock-'));
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  });
  after(() => {
    sleeper.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  });
  const lockOf = (tty: string) => path.join(folder, `LCK..${tty}`);

  test('taken as our pid in HDB text, held while taken, removed on release', async () => {
    const lock = await takeSerialLock('/dev/ttyUSB0', [folder]);
    assert.equal(lock.kind, 'taken');
    assert.equal(readFileSync(lockOf('ttyUSB0'), 'latin1'), `${String(process.pid).padStart(10)}\n`);
    if (lock.kind === 'taken') await lock.release();
    assert.ok(!existsSync(lockOf('ttyUSB0')));
  });

  test("a live process's lock (text or binary) keeps the port and is left as it was", async () => {
    const text = `${String(sleeper.pid).padStart(10)}\n`;
    writeFileSync(lockOf('ttyUSB1'), text);
    assert.deepEqual(await takeSerialLock('/dev/ttyUSB1', [folder]), {
      kind: 'held',
      file: lockOf('ttyUSB1'),
      pid: sleeper.pid,
    });
    assert.equal(readFileSync(lockOf('ttyUSB1'), 'latin1'), text);
    const binary = Buffer.alloc(4);
    binary.writeInt32LE(sleeper.pid!);
    writeFileSync(lockOf('ttyUSB2'), binary);
    assert.equal((await takeSerialLock('/dev/ttyUSB2', [folder])).kind, 'held');
  });

  test('an empty lock file (its owner between creating and writing it) counts as held', async () => {
    writeFileSync(lockOf('ttyACM0'), '');
    assert.deepEqual(await takeSerialLock('/dev/ttyACM0', [folder]), {
      kind: 'held',
      file: lockOf('ttyACM0'),
      pid: undefined,
    });
  });

  test("a dead process's lock is stale: removed, and the port taken", async () => {
    writeFileSync(lockOf('ttyUSB3'), `${String(await deadPid()).padStart(10)}\n`);
    const lock = await takeSerialLock('/dev/ttyUSB3', [folder]);
    assert.equal(lock.kind, 'taken');
    assert.equal(readFileSync(lockOf('ttyUSB3'), 'latin1'), `${String(process.pid).padStart(10)}\n`);
    if (lock.kind === 'taken') await lock.release();
  });

  test('a live lock in a later folder counts; ours goes to the first folder that takes it', async () => {
    const missing = path.join(folder, 'no-such-folder');
    const second = mkdtempSync(path.join(folder, 'second-'));
    writeFileSync(path.join(second, 'LCK..ttyUSB4'), `${sleeper.pid}\n`);
    assert.equal((await takeSerialLock('/dev/ttyUSB4', [folder, second])).kind, 'held');
    const lock = await takeSerialLock('/dev/ttyUSB5', [missing, second]);
    assert.equal(lock.kind === 'taken' && lock.file, path.join(second, 'LCK..ttyUSB5'));
    if (lock.kind === 'taken') await lock.release();
  });

  test('no folder takes a lock: unavailable, with the reason', async () => {
    const lock = await takeSerialLock('/dev/ttyUSB6', [path.join(folder, 'missing')]);
    assert.equal(lock.kind, 'unavailable');
    assert.match(lock.kind === 'unavailable' ? lock.reason : '', /LCK\.\.ttyUSB6 .*ENOENT/);
  });

  test('release leaves a lock that is no longer ours (removed as stale and taken by another)', async () => {
    const lock = await takeSerialLock('/dev/ttyUSB7', [folder]);
    assert.equal(lock.kind, 'taken');
    writeFileSync(lockOf('ttyUSB7'), `${String(sleeper.pid).padStart(10)}\n`);
    if (lock.kind === 'taken') await lock.release();
    assert.ok(existsSync(lockOf('ttyUSB7')));
  });
});
