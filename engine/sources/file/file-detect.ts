import type { Facts } from '../../core/facts.js';
import { globHolds } from '../shared/glob-holds.js';

/** A profile's `detect.file` block, after the profile schema has accepted it. */
export interface FileDetect {
  path: string;
}

/** Why a `detect.file` block does not hold for a device, or undefined when it does. */
export function fileMismatch(detect: FileDetect, facts: Facts): string | undefined {
  const file = facts.file;
  if (!file) return 'not a filesystem path';
  return globHolds(detect.path, file.path, 'path') ? undefined : `file.path is ${file.path}, not ${detect.path}`;
}

/** The globs the profiles' `detect.file` blocks name, each once. */
export function fileGlobs(blocks: readonly FileDetect[]): string[] {
  return [...new Set(blocks.map((block) => block.path))];
}
