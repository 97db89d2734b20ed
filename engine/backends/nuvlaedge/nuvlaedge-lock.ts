// The lock a NuvlaEdge peripheral channel is written under. NuvlaEdge's FileBroker
// (nuvlaedge/nuvlaedge, nuvlaedge/broker/file_broker.py) wraps both publish and consume in
// `filelock.FileLock(<channel>/<name>.lock)`; on Linux that is py-filelock's UnixFileLock, which
// opens the file and takes `fcntl.flock(fd, LOCK_EX | LOCK_NB)`, polling until it gets it (recent
// versions also unlink the file on release). flock(2) locks belong to an open file, and Node has
// no binding for flock(2), so the engine holds the same kind of lock through util-linux's
// `flock(1)`: `flock -w <seconds> <lockfile> cat` takes the lock, then runs `cat`, which echoes
// one line back once the lock is held and exits, releasing it, when its standard input is closed.
// The work done under the lock stays in Node (with real error codes), and a crashed engine
// releases the lock, because its end of the pipe closes. No shell is involved.
// One gap remains: py-filelock versions that unlink the lock file on release can leave flock(1)
// holding a lock on the unlinked file while the agent locks a new one. The window is a few
// microseconds, and the snapshot itself is renamed into place atomically either way.
import { open, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { builtInModule } from '../../core/built-in-module.js';
import type { Logger } from '../../core/log.js';

const childProcess = builtInModule('node:child_process');

/** The lock could not be taken: held by someone else for too long, or flock(1) failed. */
export class LockError extends Error {
  override readonly name = 'LockError';
}

/** How to take a channel lock. */
export interface FileLockOptions {
  /** How long to wait for a holder (the agent) to let go. */
  timeoutMs: number;
  log: Logger;
  /** The flock(1) program; tests name a missing one to exercise the fallback. */
  flockCommand?: string;
}

/** flock(1)'s exit status when `-w` expires (`-E`), told apart from its other failures. */
const CONFLICT_EXIT_CODE = 75;
const POLL_MS = 50;

/** Whether `command` is util-linux's flock (busybox's has no `-w`), asked once per command. */
const flockSupport = new Map<string, Promise<boolean>>();
/** Fallback warnings already given, so that each is logged once per process. */
const warnedFallback = new Set<string>();

function isUtilLinuxFlock(command: string): Promise<boolean> {
  let known = flockSupport.get(command);
  if (!known) {
    known = new Promise((resolve) => {
      childProcess().execFile(command, ['--version'], { timeout: 5000 }, (error, stdout) =>
        resolve(!error && stdout.includes('util-linux')),
      );
    });
    flockSupport.set(command, known);
  }
  return known;
}

/** Runs `work` while holding the flock(2) lock on `lockPath` (created if missing). */
export async function withFileLock<T>(lockPath: string, options: FileLockOptions, work: () => Promise<T>): Promise<T> {
  const command = options.flockCommand ?? 'flock';
  let release: () => Promise<void>;
  if (await isUtilLinuxFlock(command)) {
    release = await holdWithFlock(command, lockPath, options.timeoutMs);
  } else {
    if (!warnedFallback.has(command)) {
      warnedFallback.add(command);
      options.log.warn(
        'util-linux flock not found: using an exclusive-create lock file, which the NuvlaEdge agent does not honour',
        { command },
      );
    }
    release = await holdWithExclusiveFile(lockPath, options.timeoutMs);
  }
  try {
    return await work();
  } finally {
    await release();
  }
}

/** Takes the lock with `flock -w`; resolves to its release once `cat` runs under it. */
function holdWithFlock(command: string, lockPath: string, timeoutMs: number): Promise<() => Promise<void>> {
  const seconds = (timeoutMs / 1000).toFixed(3);
  const child = childProcess().spawn(command, ['-w', seconds, '-E', String(CONFLICT_EXIT_CODE), lockPath, 'cat'], {
    stdio: 'pipe',
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  // A flock that exits before `cat` reads makes the write fail with EPIPE: its exit says why.
  child.stdin.on('error', () => {});
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new LockError(`cannot run ${command}: ${error.message}`)));
    child.stdout.once('data', () =>
      resolve(async () => {
        child.stdin.end();
        await exited;
      }),
    );
    void exited.then((code) =>
      reject(
        code === CONFLICT_EXIT_CODE
          ? new LockError(`${lockPath} still held by another process after ${timeoutMs} ms`)
          : new LockError(`flock failed on ${lockPath} (exit ${code}): ${stderr.trim()}`),
      ),
    );
    child.stdin.write('locked\n');
  });
}

/**
 * Without flock(1): create the lock file exclusively (what py-filelock's SoftFileLock does).
 * A file older than the timeout is taken as left behind (old py-filelock versions never remove
 * theirs) and replaced.
 */
async function holdWithExclusiveFile(lockPath: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await (await open(lockPath, 'wx')).close();
      return () => unlink(lockPath).catch(() => {});
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = await stat(lockPath).then(
      (stats) => Date.now() - stats.mtimeMs,
      () => 0,
    );
    if (age > timeoutMs) {
      await unlink(lockPath).catch(() => {});
      continue;
    }
    if (Date.now() >= deadline) throw new LockError(`${lockPath} still held after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}
