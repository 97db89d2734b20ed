import type { Stats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Facts } from '../../core/facts.js';
import type { PresentDevice } from '../source.js';
import { readDeviceParents } from './device-parents.js';

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
  const numbers = deviceNumbers(stats);
  return {
    path: candidate,
    name: path.basename(candidate),
    dir: path.dirname(candidate),
    type: fileType(stats),
    major: numbers?.major ?? null,
    minor: numbers?.minor ?? null,
    ...(await parentsOf(candidate, stats, numbers)),
  };
}

/** A device node's major and minor numbers, or undefined for anything else. */
function deviceNumbers(stats: Stats): { major: number; minor: number; type: string } | undefined {
  if (!stats.isCharacterDevice() && !stats.isBlockDevice()) return undefined;
  // Linux dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
  const rdev = BigInt(stats.rdev);
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
    type: fileType(stats),
  };
}

/**
 * `usb` and `pci` for a device node, or for a link to one (udev's /dev/v4l/by-id/... links):
 * the devices it belongs to, each null where there is none. Nothing for other files.
 */
async function parentsOf(
  candidate: string,
  stats: Stats,
  numbers: ReturnType<typeof deviceNumbers>,
): Promise<Pick<NonNullable<Facts['file']>, 'usb' | 'pci'>> {
  let node = numbers;
  if (!node && stats.isSymbolicLink()) node = deviceNumbers(await stat(candidate).catch(() => stats));
  return node ? readDeviceParents(node.type, node.major, node.minor) : {};
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
