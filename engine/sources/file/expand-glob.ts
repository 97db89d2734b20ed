import { opendirSync } from 'node:fs';
import path from 'node:path';
import { escapedName, nameAsText } from '../../core/file-name-bytes.js';
import { compileGlob, pathGlobReach } from '../../match/glob.js';
import { pathExists } from '../shared/sysfs.js';

/** How deep `**` may reach below a glob's base, so that a one-shot look stays bounded. */
const MAX_DEPTH = 8;

/**
 * The names in a folder, read as bytes (with `opendir`, which umockdev redirects); a name that is
 * not valid UTF-8 is passed to `refused` with its bytes escaped, instead of being lost.
 */
function listTextNames(folder: string, refused: (escapedPath: string) => void): string[] {
  let directory;
  try {
    // Node reads the names as Buffers when asked, though its types do not say so.
    directory = opendirSync(folder, { encoding: 'buffer' as BufferEncoding });
  } catch {
    return [];
  }
  const names: string[] = [];
  try {
    for (let entry = directory.readSync(); entry; entry = directory.readSync()) {
      const name = entry.name as unknown as Buffer;
      const text = nameAsText(name);
      if (text === undefined) refused(path.join(folder, escapedName(name)));
      else names.push(text);
    }
  } finally {
    directory.closeSync();
  }
  return names.sort();
}

/**
 * The paths that exist now and match a path glob: a one-shot look for `engine list`, walking
 * down from the glob's base no deeper than the glob reaches. Names that are not valid UTF-8 go
 * to `refused`, escaped.
 */
export function expandPathGlob(glob: string, refused: (escapedPath: string) => void = () => undefined): string[] {
  const compiled = compileGlob(glob, 'path');
  if (!compiled.ok) return [];
  const { base, literal, levels } = pathGlobReach(glob);
  if (literal) return pathExists(base) ? [base] : [];
  const depth = levels ?? MAX_DEPTH;
  const found: string[] = [];
  const walk = (folder: string, level: number) => {
    for (const name of listTextNames(folder, refused)) {
      const candidate = path.join(folder, name);
      if (compiled.regex.test(candidate)) found.push(candidate);
      if (level < depth) walk(candidate, level + 1);
    }
  };
  walk(base, 1);
  return found.sort();
}
