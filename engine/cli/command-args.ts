import { existsSync } from 'node:fs';
import { UsageError } from '../core/errors.js';

/** The profile files and folders a command checks: those named, or ./profiles; each must exist. */
export function profilePaths(positionals: readonly string[]): string[] {
  const paths = positionals.length > 0 ? [...positionals] : ['./profiles'];
  const missing = paths.filter((path) => !existsSync(path));
  if (missing.length > 0) throw new UsageError(`no such file or folder: ${missing.join(', ')}`);
  return paths;
}

/** The `--format` asked for, if it is one of the command's. */
export function chosenFormat<T extends string>(value: string, formats: readonly T[]): T {
  if (!formats.includes(value as T))
    throw new UsageError(`--format must be one of ${formats.join(', ')}, not ${value}`);
  return value as T;
}
