// Writes that survive a crash or a power cut: the bytes are flushed to disk before the file is
// renamed into place, and the folder is flushed after, so a reader finds the old file or the
// whole new one, never a part.
import { open, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from './process-alive.js';

/** Writes `text` to `file` (created or truncated) and flushes it to disk; throws unless all of it was written. */
export async function writeAndSync(file: string, text: string | Uint8Array, mode = 0o644): Promise<void> {
  const handle = await open(file, 'w', mode);
  try {
    // writeFile writes again after a short write (a nearly full disk) and throws ENOSPC when
    // nothing more fits; a lone write() would return the short count and leave the file cut.
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a folder's entries (a rename in it) to disk. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Moves `from` onto `to` (same file system) and flushes `to`'s folder; removes `from` if that fails. */
export async function renameAndSync(from: string, to: string, toFolder: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    await unlink(from).catch(() => {});
    throw error;
  }
  await syncFolder(toFolder);
}

/** A temporary file of `writeFileAtomic`: `.<name>.<pid>.tmp`. */
const TEMPORARY = /^\..+\.(\d+)\.tmp$/;

/** The temporaries of this process's writes under way: never stale, whatever their pid says. */
const writesInFlight = new Set<string>();

/** Replaces `file` with `text` so that a crash leaves either the old or the new content, whole. */
export async function writeFileAtomic(file: string, text: string | Uint8Array, mode = 0o644): Promise<void> {
  const folder = path.dirname(file);
  const temporary = path.resolve(folder, `.${path.basename(file)}.${process.pid}.tmp`);
  writesInFlight.add(temporary);
  try {
    await writeAndSync(temporary, text, mode);
    await renameAndSync(temporary, file, folder);
  } finally {
    writesInFlight.delete(temporary);
  }
}

/**
 * Removes the temporary files that writes killed half-way left in a folder, and returns their
 * names: those of a process that is gone, and those bearing this process's id that none of its
 * writes holds (an earlier engine had the same id: pid 1 in a container). A folder that cannot
 * be read is left alone. Called once at start, before anything else writes to the folder.
 */
export async function removeStaleTemporaries(folder: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const stale = names.filter((name) => {
    const pid = TEMPORARY.exec(name)?.[1];
    if (pid === undefined || writesInFlight.has(path.resolve(folder, name))) return false;
    return Number(pid) === process.pid || !processAlive(Number(pid));
  });
  const removed = await Promise.all(
    stale.map((name) =>
      unlink(path.join(folder, name)).then(
        () => name,
        () => undefined,
      ),
    ),
  );
  return removed.flatMap((name) => (name ? [name] : []));
}
