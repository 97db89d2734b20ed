import path from 'node:path';
import { compileGlob, globBase } from '../../match/glob.js';
import { listNames, pathExists } from '../shared/sysfs.js';

/** How deep `**` may reach below a glob's base, so that a one-shot look stays bounded. */
const MAX_DEPTH = 8;

/**
 * The paths that exist now and match a path glob: a one-shot look for `engine list`, walking
 * down from the glob's base no deeper than the glob reaches.
 */
export function expandPathGlob(glob: string): string[] {
  const compiled = compileGlob(glob, 'path');
  if (!compiled.ok) return [];
  const base = globBase(glob);
  if (base === glob) return pathExists(glob) ? [glob] : [];
  const depth = glob.includes('**') ? MAX_DEPTH : glob.slice(base.length).split('/').filter(Boolean).length;
  const found: string[] = [];
  const walk = (folder: string, level: number) => {
    for (const name of listNames(folder)) {
      const candidate = path.join(folder, name);
      if (compiled.regex.test(candidate)) found.push(candidate);
      if (level < depth) walk(candidate, level + 1);
    }
  };
  walk(base, 1);
  return found.sort();
}
