import picomatch from 'picomatch';

/** A compiled glob, or why it could not be compiled. */
export type GlobResult = { ok: true; regex: RegExp } | { ok: false; reason: string };

/**
 * Compiles a glob the way profiles mean it: anchored to the whole value, `*` and `?` never cross
 * a `/`, brackets and braces must be closed. Strings (manufacturer, product, serial) compare
 * case-insensitively; paths compare exactly.
 */
export function compileGlob(pattern: string, options: { caseInsensitive: boolean }): GlobResult {
  let regex: RegExp;
  try {
    regex = picomatch.makeRe(pattern, { strictBrackets: true, nocase: options.caseInsensitive, dot: true });
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  // picomatch turns patterns it cannot make sense of (a reversed range, a lone backslash) into a
  // regex that matches nothing instead of failing; such a matcher would silently never match.
  if (regex.source === '$^') return { ok: false, reason: 'the pattern can never match anything' };
  return { ok: true, regex };
}

/** The folder a glob's matches all lie under: what a watcher has to watch. */
export function globBase(pattern: string): string {
  return picomatch.scan(pattern).base || '/';
}
