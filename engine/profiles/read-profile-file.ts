import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
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

/** The one buffer every read fills: no read can interleave with another. */
let syncBuffer: Buffer | undefined;

/**
 * Reads one profile file, with blocking calls: a thousand files read in about a seventh of the
 * time that a promise per call takes. Every command reads with it; the daemon a batch of files
 * at a time (`readInBatches`), its status server answering between batches. Only regular files
 * are read: a FIFO would block the read for good and a device (`/dev/zero` linked as a profile)
 * never ends, so both are refused. The file is opened without blocking and checked on the open
 * descriptor, so a file swapped after a look cannot slip through; no more than the size cap is
 * ever read.
 */
export function readProfileFileSync(file: string): ReadProfile {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return isGone(error) ? { gone: true } : problem(file, 'read-error', (error as Error).message);
  }
  try {
    const stats = fstatSync(fd);
    const refused = refusal(file, stats);
    if (refused) return refused;
    // Read up to the cap plus one byte, which is then reported: a file may grow while read.
    // One buffer serves every blocking read: no call can interleave with another.
    const buffer = (syncBuffer ??= Buffer.allocUnsafe(MAX_PROFILE_BYTES + 1));
    let length = 0;
    for (let bytesRead = -1; bytesRead !== 0 && length < buffer.length;) {
      const asked = buffer.length - length;
      bytesRead = readSync(fd, buffer, length, asked, length);
      length += bytesRead;
      // A read that gave less than asked, once the file's size is reached, ended at the end of
      // the file: the read that would return nothing is not made (one system call in two).
      if (bytesRead < asked && length >= stats.size) break;
    }
    if (length > MAX_PROFILE_BYTES) return tooLarge(file);
    return { text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return problem(file, 'read-error', (error as Error).message);
  } finally {
    closeSync(fd);
  }
}
