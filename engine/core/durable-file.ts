// Writes that survive a crash or a power cut: the bytes are flushed to disk before the file is
// renamed into place, and the folder is flushed after, so a reader finds the old file or the
// whole new one, never a part.
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from './process-alive.js';

/** Writes `text` to `file` (created or truncated) and flushes it to disk. */
export async function writeAndSync(file: string, text: string, mode = 0o644): Promise<void> {
  const handle = await open(file, 'w', mode);
  try {
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

/** Replaces `file` with `text` so that a crash leaves either the old or the new content, whole. */
export async function writeFileAtomic(file: string, text: string, mode = 0o644): Promise<void> {
  const folder = path.dirname(file);
  const temporary = path.join(folder, `.${path.basename(file)}.${process.pid}.tmp`);
  await writeAndSync(temporary, text, mode);
  await renameAndSync(temporary, file, folder);
}

/**
 * The `field` object of a JSON state file, or undefined when there is no file. A file that
 * cannot be read or holds no such object throws: the caller must not write over it.
 */
export async function readStateObject<T>(file: string, field: string): Promise<Record<string, T> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const found = (JSON.parse(text) as Record<string, unknown>)[field];
  if (typeof found !== 'object' || found === null) throw new Error(`${file} holds no "${field}" object`);
  return found as Record<string, T>;
}

/** Whether another process with this id is running (ours counts as not: we have written nothing yet). */
const running = (pid: number): boolean => pid !== process.pid && processAlive(pid);

/**
 * Removes the temporary files that writes killed half-way left in a folder (their process is
 * gone); returns their names. A folder that cannot be read is left alone.
 */
export async function removeStaleTemporaries(folder: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const stale = names.filter((name) => {
    const pid = TEMPORARY.exec(name)?.[1];
    return pid !== undefined && !running(Number(pid));
  });
  const removed = await Promise.all(stale.map((name) => unlink(path.join(folder, name)).then(() => name, () => undefined)));
  return removed.flatMap((name) => (name ? [name] : []));
}
