import { open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from '../core/process-alive.js';

/**
 * Where UUCP-style lock files live on Linux (minicom, pppd, cu, picocom, ModemManager's
 * neighbours). The FHS names /var/lock; most systems make it a link to /run/lock.
 */
export const LOCK_FOLDERS: readonly string[] = ['/var/lock', '/run/lock'];

/** How taking a port's lock file went. */
export type SerialLock =
  /** This process holds `file` now; `release` removes it (once, and only while it is still ours). */
  | { kind: 'taken'; file: string; release: () => Promise<void> }
  /** Another live process holds the port: leave it alone. */
  | { kind: 'held'; file: string; pid: number | undefined }
  /** No lock folder could take a lock file (none exists, or none is writable). */
  | { kind: 'unavailable'; reason: string };

/** The process named in a lock file: HDB/FHS ASCII (`%10d\n`), or the older 4-byte binary int. */
function lockHolder(content: Buffer): number | undefined {
  const text = content.toString('latin1').trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (content.length === 4) return content.readInt32LE(0);
  return undefined;
}

/** What a lock file says: nobody (absent or stale, now removed), or who holds it. */
async function inspect(file: string): Promise<'free' | { pid: number | undefined }> {
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch {
    // Absent, or not ours to read (then creating ours fails too, and the port is probed without one).
    return 'free';
  }
  const pid = lockHolder(content);
  // Empty or unreadable: another program is between creating the file and writing its pid.
  if (pid === undefined || pid <= 0) return { pid: undefined };
  // A dead process's lock is stale; our own pid here is a leftover of an earlier life of this
  // pid (a container restarted as pid 1): both are removed, as the UUCP tools do.
  if (pid !== process.pid && processAlive(pid)) return { pid };
  await unlink(file).catch(() => undefined);
  return 'free';
}

/** Creates the lock file with O_EXCL, holding our pid as HDB UUCP text: 10 characters and a newline. */
async function create(file: string): Promise<'taken' | 'exists' | NodeJS.ErrnoException> {
  try {
    const handle = await open(file, 'wx', 0o644);
    try {
      await handle.writeFile(`${String(process.pid).padStart(10)}\n`);
    } finally {
      await handle.close();
    }
    return 'taken';
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    return failure.code === 'EEXIST' ? 'exists' : failure;
  }
}

function releaser(file: string): () => Promise<void> {
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    // Only our own file: one removed as stale and taken by another program stays.
    const content = await readFile(file).catch(() => undefined);
    if (content && lockHolder(content) === process.pid) await unlink(file).catch(() => undefined);
  };
}

/**
 * Honours and takes the UUCP lock file of a port (`LCK..ttyUSB0`): a live other process's lock
 * in any folder means the port is held; a stale one is removed; then the lock is created in the
 * first folder that takes it. Never throws.
 */
export async function takeSerialLock(
  devicePath: string,
  folders: readonly string[] = LOCK_FOLDERS,
): Promise<SerialLock> {
  const name = `LCK..${path.basename(devicePath)}`;
  for (const folder of folders) {
    const file = path.join(folder, name);
    const state = await inspect(file);
    if (state !== 'free') return { kind: 'held', file, pid: state.pid };
  }
  const refusals: string[] = [];
  for (const folder of folders) {
    const file = path.join(folder, name);
    // Two rounds: a lock that appeared between the look above and the create may be stale.
    for (let round = 0; round < 2; round++) {
      const created = await create(file);
      if (created === 'taken') return { kind: 'taken', file, release: releaser(file) };
      if (created !== 'exists') {
        refusals.push(`${folder}: ${created.code ?? created.message}`);
        break;
      }
      const state = await inspect(file);
      if (state !== 'free') return { kind: 'held', file, pid: state.pid };
      if (round === 1) refusals.push(`${folder}: ${name} exists and cannot be read`);
    }
  }
  return { kind: 'unavailable', reason: `no lock folder takes ${name} (${refusals.join(', ') || 'none configured'})` };
}
