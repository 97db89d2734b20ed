import picomatch from 'picomatch';

/** A compiled glob, or why it could not be compiled. */
export type GlobResult = { ok: true; regex: RegExp } | { ok: false; reason: string };

/**
 * What a glob is matched against. `path`: a filesystem path, case-sensitive, `*` and `?` stay
 * within a segment, `**` crosses segments, braces allowed. `text`: a string such as a USB
 * product name, case-insensitive, fnmatch-style: `*` any run (slashes too), `?` one character,
 * `[...]` a set; everything else, parentheses included, stands for itself.
 */
export type GlobKind = 'path' | 'text';

const cache = new Map<string, GlobResult>();

/** Compiles a glob anchored to the whole value. */
export function compileGlob(pattern: string, kind: GlobKind): GlobResult {
  const key = `${kind}\u0000${pattern}`;
  let result = cache.get(key);
  if (!result) {
    result = kind === 'path' ? compilePathGlob(pattern) : compileTextGlob(pattern);
    cache.set(key, result);
  }
  return result;
}

function compilePathGlob(pattern: string): GlobResult {
  let regex: RegExp;
  try {
    // Shells negate a set with `[!...]`; picomatch only with `[^...]`, reading `!` as a member.
    const shellSets = pattern.replace(/(^|[^\\])\[!/g, '$1[^');
    regex = picomatch.makeRe(shellSets, { strictBrackets: true, dot: true });
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  // picomatch turns patterns it cannot make sense of (a reversed range, a lone backslash) into a
  // regex that matches nothing instead of failing; such a matcher would silently never match.
  if (regex.source === '$^') return { ok: false, reason: 'the pattern can never match anything' };
  return { ok: true, regex };
}

function compileTextGlob(pattern: string): GlobResult {
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const close = pattern.indexOf(']', index + 2);
      if (close === -1) return { ok: false, reason: `\`[\` at position ${index + 1} is never closed` };
      const body = pattern.slice(index + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      const members = (negated ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&');
      source += `[${negated ? '^' : ''}${members}]`;
      index = close;
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return { ok: true, regex: new RegExp(`^${source}$`, 'is') };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** The folder a path glob's matches all lie under: what a watcher has to watch. */
export function globBase(pattern: string): string {
  return picomatch.scan(pattern).base || '/';
}
