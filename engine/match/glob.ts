import { RE2JS } from 're2js';
import { boundedCache } from '../core/bounded-cache.js';

/** A compiled glob: tests a whole value, in time linear in the value whatever the pattern. */
export interface GlobMatcher {
  test(value: string): boolean;
}

/**
 * A compiled glob with what validate should warn about (a glob fnmatch accepts but that likely
 * does not say what its author meant), or why it could not be compiled.
 */
export type GlobResult = { ok: true; regex: GlobMatcher; warnings: string[] } | { ok: false; reason: string };

/**
 * What a glob is matched against. `path`: a filesystem path, case-sensitive, `*` and `?` stay
 * within a segment, `**` crosses segments, `{a,b}` alternatives, `\` escapes the next character.
 * `text`: a string such as a USB product name, case-insensitive, with the semantics of Python's
 * fnmatch (what Home Assistant's matchers use): `*` any run (newlines and slashes too), `?` one
 * character, `[...]` a set; everything else, backslash and parentheses included, stands for itself.
 *
 * Both compile to an RE2 expression (re2js): no glob from a profile, however many stars it has,
 * can make a match take more than linear time on a device's string.
 */
export type GlobKind = 'path' | 'text';

/** Globs from profiles, compiled once each: as many as the profiles hold. */
const cache = new Map<string, GlobResult>();

/** Compiles a glob of a profile, anchored to the whole value; compiled once per pattern. */
export function compileGlob(pattern: string, kind: GlobKind): GlobResult {
  const key = `${kind}\u0000${pattern}`;
  let result = cache.get(key);
  if (!result) {
    result = kind === 'path' ? compilePathGlob(pattern) : compileTextGlob(pattern);
    cache.set(key, result);
  }
  return result;
}

/**
 * A text glob built at evaluation time (the `glob` operator, whose pattern may be made of a
 * device's strings): remembered in a bounded cache, so new devices cannot grow memory for ever.
 */
export const evaluatedTextGlob = boundedCache(256, compileTextGlob);

/** Literal text as RE2 source: every character outside [A-Za-z0-9_] as a code point escape. */
const literal = (text: string) =>
  [...text].map((char) => (/\w/.test(char) ? char : `\\x{${char.codePointAt(0)!.toString(16)}}`)).join('');

/** A bracket set parsed from a pattern: its members as RE2 class items, and where it ended. */
interface BracketSet {
  negated: boolean;
  items: string[];
  /** Index of the closing `]`. */
  close: number;
  /** A range written backwards (`z-a`), which can contain nothing. */
  reversed?: string;
}

/**
 * Reads the set opening at `open` the way fnmatch does: `!` (and for paths `^`) first negates,
 * a `]` right after `[` or the negation is a member, `a-z` is a range, no escapes inside.
 * Undefined when no `]` closes it.
 */
function readSet(pattern: readonly string[], open: number, caretNegates: boolean): BracketSet | undefined {
  let index = open + 1;
  const negated = pattern[index] === '!' || (caretNegates && pattern[index] === '^');
  if (negated) index++;
  const first = index;
  const chars: string[] = [];
  while (index < pattern.length && (pattern[index] !== ']' || index === first)) chars.push(pattern[index++]!);
  if (index >= pattern.length) return undefined;
  const items: string[] = [];
  let reversed: string | undefined;
  for (let at = 0; at < chars.length; at++) {
    const from = chars[at]!;
    if (chars[at + 1] === '-' && at + 2 < chars.length) {
      const to = chars[at + 2]!;
      if (from.codePointAt(0)! > to.codePointAt(0)!) reversed ??= `${from}-${to}`;
      else items.push(`${literal(from)}-${literal(to)}`);
      at += 2;
    } else items.push(literal(from));
  }
  return { negated, items, close: index, ...(reversed ? { reversed } : {}) };
}

function compileTextGlob(text: string): GlobResult {
  // By code point, so that a character outside the BMP is one character, as in Python.
  const pattern = [...text];
  let source = '';
  const warnings: string[] = [];
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const set = readSet(pattern, index, false);
      if (!set) {
        warnings.push(
          `\`[\` at position ${index + 1} is never closed, so it stands for itself; write \`[[]\` to say so`,
        );
        source += literal('[');
        continue;
      }
      if (set.reversed)
        return { ok: false, reason: `the range \`${set.reversed}\` is written backwards and contains nothing` };
      source += `[${set.negated ? '^' : ''}${set.items.join('')}]`;
      index = set.close;
    } else source += literal(char);
  }
  const flags = RE2JS.CASE_INSENSITIVE | RE2JS.DOTALL;
  // Stars, question marks and escaped characters always make a valid expression: compiled at the
  // first match, so that validating a profile (or holding one whose device never comes) never
  // pays for an automaton.
  if (!HAS_SET_OR_SURROGATE.test(text)) return { ok: true, regex: compiledAtFirstUse(`^${source}$`, flags), warnings };
  return compileRe2(`^${source}$`, flags, warnings);
}

/** A bracket set, or a surrogate: text globs whose RE2 form is compiled at once, to say if it fails. */
const HAS_SET_OR_SURROGATE = /[[\uD800-\uDFFF]/;

function compiledAtFirstUse(source: string, flags: number): GlobMatcher {
  let compiled: RE2JS | undefined;
  return { test: (value) => (compiled ??= RE2JS.compile(source, flags)).matches(value) };
}

/** Splits a brace group's body on its top-level commas; undefined when `{` is never closed. */
function readBraces(pattern: readonly string[], open: number): { alternatives: string[]; close: number } | undefined {
  let depth = 0;
  let start = open + 1;
  const alternatives: string[] = [];
  for (let index = open; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '\\') index++;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0)
      return { alternatives: [...alternatives, pattern.slice(start, index).join('')], close: index };
    else if (char === ',' && depth === 1) {
      alternatives.push(pattern.slice(start, index).join(''));
      start = index + 1;
    }
  }
  return undefined;
}

/** RE2 source for a path glob, or why it cannot be one. */
function pathSource(text: string): string | { reason: string } {
  const pattern = [...text];
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '\\') {
      if (index + 1 >= pattern.length) return { reason: 'a `\\` at the end escapes nothing' };
      source += literal(pattern[++index]!);
    } else if (char === '*') {
      const segmentStart = index === 0 || pattern[index - 1] === '/';
      if (pattern[index + 1] === '*' && segmentStart && (index + 2 === pattern.length || pattern[index + 2] === '/')) {
        // `**` as a whole segment: any number of segments, none included.
        if (index + 2 === pattern.length)
          source = source.endsWith('\\x{2f}') ? `${source.slice(0, -6)}(?:/.*)?` : `${source}.*`;
        else {
          source += '(?:[^/]*/)*';
          index++;
        }
        index++;
      } else source += '[^/]*';
    } else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const set = readSet(pattern, index, true);
      if (!set) return { reason: `\`[\` at position ${index + 1} is never closed` };
      if (set.reversed) return { reason: `the range \`${set.reversed}\` is written backwards and contains nothing` };
      // A set stands for one character of a segment, never the slash between two.
      source += set.negated ? `[^/${set.items.join('')}]` : `(?:[${set.items.join('')}])`;
      index = set.close;
    } else if (char === '{') {
      const braces = readBraces(pattern, index);
      if (!braces) return { reason: `\`{\` at position ${index + 1} is never closed` };
      if (braces.alternatives.length < 2) {
        source += literal(char);
        continue;
      }
      const parts = braces.alternatives.map((alternative) => pathSource(alternative));
      const failed = parts.find((part): part is { reason: string } => typeof part !== 'string');
      if (failed) return failed;
      source += `(?:${parts.join('|')})`;
      index = braces.close;
    } else source += literal(char);
  }
  return source;
}

/** The characters a path glob gives a meaning to, and surrogates (left to RE2 to accept or refuse). */
const GLOB_CHARS = /[\\*?[{\uD800-\uDFFF]/;

function compilePathGlob(pattern: string): GlobResult {
  // A literal path (a profile naming one device) is compared as it is: an RE2 automaton would
  // keep about 11 KiB per profile for what string equality decides.
  if (!GLOB_CHARS.test(pattern)) return { ok: true, regex: { test: (value) => value === pattern }, warnings: [] };
  const source = pathSource(pattern);
  if (typeof source !== 'string') return { ok: false, reason: source.reason };
  return compileRe2(`^${source}$`, 0, []);
}

function compileRe2(source: string, flags: number, warnings: string[]): GlobResult {
  try {
    const compiled = RE2JS.compile(source, flags);
    return { ok: true, regex: { test: (value) => compiled.matches(value) }, warnings };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/**
 * How far a path glob reaches, read with the same grammar as the matcher (`\\` escapes, `{a,b}`
 * only with a comma): the literal folders it starts with, escapes removed, and how many segments
 * follow them.
 */
export interface PathGlobReach {
  /** The folder every match lies under; for a glob without wildcards, the path it names. */
  base: string;
  /** Whether the glob has no wildcard: it names the one path `base`. */
  literal: boolean;
  /** How many segments below `base` a match can be at most; undefined when `**` lets it be any. */
  levels: number | undefined;
}

/** Whether the character at `index` starts a wildcard: `*`, `?`, a closed `[...]`, `{...}` with a comma. */
function startsWildcard(pattern: readonly string[], index: number): boolean {
  const char = pattern[index];
  if (char === '*' || char === '?') return true;
  if (char === '[') return readSet(pattern, index, true) !== undefined;
  if (char === '{') return (readBraces(pattern, index)?.alternatives.length ?? 0) >= 2;
  return false;
}

/** Characters without which a path glob is its own literal path: `\\`, `*`, `?`, `[`, `{`. */
const MAY_NOT_BE_LITERAL = /[\\*?[{]/;

/** Reads a path glob's literal leading segments; see {@link PathGlobReach}. */
export function pathGlobReach(text: string): PathGlobReach {
  // No escape and nothing that may start a wildcard: the path itself (a profile naming one device).
  if (!MAY_NOT_BE_LITERAL.test(text)) return { base: joinSegments([text]), literal: true, levels: 0 };
  const pattern = [...text];
  const folders: string[] = [];
  let segment = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '\\' && index + 1 < pattern.length) segment += pattern[++index];
    else if (char === '/') {
      folders.push(segment);
      segment = '';
    } else if (startsWildcard(pattern, index)) {
      // The segment that holds the first wildcard, and every one after it, lie below the base.
      const rest = pattern.slice(index).join('');
      const slashes = rest.replace(/\\./g, '').split('/').length - 1;
      return { base: joinSegments(folders), literal: false, levels: rest.includes('**') ? undefined : 1 + slashes };
    } else segment += char;
  }
  return { base: joinSegments([...folders, segment]), literal: true, levels: 0 };
}

/** Absolute segments as a path: `['', 'dev']` is `/dev`, `['']` is `/`. */
const joinSegments = (segments: readonly string[]) => segments.join('/').replace(/(.)\/+$/, '$1') || '/';

/** The folder a path glob's matches all lie under: what a watcher has to watch. */
export function globBase(pattern: string): string {
  return pathGlobReach(pattern).base;
}
