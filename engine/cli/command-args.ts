import { existsSync, realpathSync } from 'node:fs';
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

/** Whether `inner` is `outer` or lies inside it (real paths). */
const holds = (outer: string, inner: string) => inner === outer || inner.startsWith(outer === '/' ? '/' : `${outer}/`);

/**
 * The layered profiles folders a command uses, earliest first: those given (`--profiles`, in
 * order), else the config file's `profiles.folders`, else ./profiles. Each must exist, and none
 * may be or hold another: a file belongs to one layer.
 */
export function profileFolders(given: readonly string[] | undefined, configured?: readonly string[]): string[] {
  const folders = given?.length ? [...given] : configured?.length ? [...configured] : ['./profiles'];
  const missing = folders.filter((folder) => !existsSync(folder));
  if (missing.length > 0) throw new UsageError(`no such profiles folder: ${missing.join(', ')}`);
  const real = folders.map((folder) => realpathSync(folder));
  for (const [later, inner] of real.entries())
    for (const [earlier, outer] of real.entries())
      if (later !== earlier && holds(outer, inner) && (inner !== outer || earlier < later))
        throw new UsageError(
          `profiles folder ${folders[later]} is ${inner === outer ? 'the same as' : 'inside'} ${folders[earlier]}: give each folder once, none inside another`,
        );
  return folders;
}
