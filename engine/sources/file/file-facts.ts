import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Facts } from '../../core/facts.js';
import type { PresentDevice } from '../source.js';

/** A path as the source reports it: keyed by the path itself. */
export function fileDevice(file: NonNullable<Facts['file']>): PresentDevice {
  return { key: `file:${file.path}`, source: 'file', facts: { file } };
}

/** The file facts of a path that exists, or undefined when it does not. */
export async function readFileFacts(candidate: string): Promise<NonNullable<Facts['file']> | undefined> {
  let stats: Stats;
  try {
    stats = await lstat(candidate);
  } catch {
    return undefined;
  }
  const device = stats.isCharacterDevice() || stats.isBlockDevice();
  // Linux dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
  const rdev = BigInt(stats.rdev);
  return {
    path: candidate,
    name: path.basename(candidate),
    dir: path.dirname(candidate),
    type: fileType(stats),
    major: device ? Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)) : null,
    minor: device ? Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)) : null,
  };
}

function fileType(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'character';
  if (stats.isBlockDevice()) return 'block';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSocket()) return 'socket';
  if (stats.isFIFO()) return 'fifo';
  return 'file';
}
