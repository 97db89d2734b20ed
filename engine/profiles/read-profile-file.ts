import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ProfileIssue } from '../core/errors.js';

/** The largest profile read: far above any real one, far below what could exhaust memory. */
export const MAX_PROFILE_BYTES = 1024 * 1024;

/**
 * A profile file's text, an issue saying why it was not read, or nothing when it is gone.
 * `special`: not a regular file (a FIFO, socket or device), which a folder walk skips.
 */
export type ReadProfile = { text: string } | { issue: ProfileIssue; special?: true } | { gone: true };

const problem = (file: string, code: 'read-error' | 'file-too-large', message: string): ReadProfile => ({
  issue: { severity: 'error', code, file, line: 1, col: 1, message },
});

/** Why a file opened as a profile is not read, from what it is; undefined when it is read. */
function refusal(file: string, stats: Stats): ReadProfile | undefined {
  if (stats.isDirectory()) return { gone: true };
  if (!stats.isFile())
    return {
      ...problem(file, 'read-error', 'not a regular file (a FIFO, socket or device): profiles are files'),
      special: true,
    } as ReadProfile;
  if (stats.size > MAX_PROFILE_BYTES)
    return problem(
      file,
      'file-too-large',
      `${stats.size} bytes: a profile may hold at most ${MAX_PROFILE_BYTES} bytes`,
    );
  return undefined;
}

const tooLarge = (file: string) =>
  problem(
    file,
    'file-too-large',
    `more than ${MAX_PROFILE_BYTES} bytes: a profile may hold at most ${MAX_PROFILE_BYTES} bytes`,
  );

/** Whether an open failed because the file is not there. */
const isGone = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Reads one profile file. Only regular files are read: a FIFO would block the read for good and
 * a device (`/dev/zero` linked as a profile) never ends, so both are refused. The file is opened
 * without blocking and checked on the open handle, so a file swapped after a look cannot slip
 * through; no more than the size cap is ever read.
 */
export async function readProfileFile(file: string): Promise<ReadProfile> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return isGone(error) ? { gone: true } : problem(file, 'read-error', (error as Error).message);
  }
  try {
    const stats = await handle.stat();
    const refused = refusal(file, stats);
    if (refused) return refused;
    // Sized for the file as it is; a file that grows while read is read on, up to the cap plus
    // one byte, which is then reported.
    let buffer = Buffer.allocUnsafe(stats.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length < buffer.length) continue;
      if (buffer.length > MAX_PROFILE_BYTES) break;
      const larger = Buffer.allocUnsafe(MAX_PROFILE_BYTES + 1);
      buffer.copy(larger, 0, 0, length);
      buffer = larger;
    }
    if (length > MAX_PROFILE_BYTES) return tooLarge(file);
    return { text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return problem(file, 'read-error', (error as Error).message);
  } finally {
    await handle.close();
  }
}

/**
 * `readProfileFile` with blocking calls: a thousand files read in about a seventh of the time
 * that a promise per call takes. The one-shot commands (validate, test, list) read with it, and
 * the daemon reads a whole folder with it a batch at a time (`readInBatches`), its status server
 * answering between batches; a single file it reads with `readProfileFile`.
 */
let syncBuffer: Buffer | undefined;

export function readProfileFileSync(file: string): ReadProfile {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return isGone(error) ? { gone: true } : problem(file, 'read-error', (error as Error).message);
  }
  try {
    const refused = refusal(file, fstatSync(fd));
    if (refused) return refused;
    // Read up to the cap plus one byte, which is then reported: a file may grow while read.
    // One buffer serves every blocking read: no call can interleave with another.
    const buffer = (syncBuffer ??= Buffer.allocUnsafe(MAX_PROFILE_BYTES + 1));
    let length = 0;
    for (let bytesRead = -1; bytesRead !== 0 && length < buffer.length; length += bytesRead) {
      bytesRead = readSync(fd, buffer, length, buffer.length - length, length);
    }
    if (length > MAX_PROFILE_BYTES) return tooLarge(file);
    return { text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return problem(file, 'read-error', (error as Error).message);
  } finally {
    closeSync(fd);
  }
}
