import { compileGlob, type GlobKind } from '../../match/glob.js';

/**
 * Whether a detect block's glob holds for a fact: shared by the sources' detect checks. A fact
 * that is absent or null never matches, and neither does a glob that does not compile.
 */
export function globHolds(pattern: string, value: string | null | undefined, kind: GlobKind): boolean {
  if (value === null || value === undefined) return false;
  const compiled = compileGlob(pattern, kind);
  return compiled.ok && compiled.regex.test(value);
}
