// The fast way to read a profile: js-yaml's event parser, about three times faster than the
// `yaml` library with positions, trusted only where the two cannot read the file differently.
// The data is built here from the events in one pass that also checks the file's shape: js-yaml's
// own constructor, with a schema of tags, took a third of the time on a 10,000-profile folder.
// Plain scalars resolve exactly as `yaml`'s YAML 1.2 core schema resolves them (the same
// patterns and conversions, not js-yaml's, which also take `1_000` and `0b1`); anything the
// two treat differently or that only `yaml` reports (anchors, aliases, tags, directives, several
// documents, duplicate or non-string keys, a flow collection closed at its parent's indent) is
// declined, and the caller parses with `yaml`. test/profiles/fast-yaml.test.ts compares the two
// on every corpus, example and shipped profile and on thousands of mutated ones.
import { EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event } from 'js-yaml';

/** A profile read on the fast path: its data, and where the value of its top-level `name` is. */
export interface FastYaml {
  data: Record<string, unknown>;
  /** Where the `name` value starts, as `yaml` positions it (a quoted scalar at its quote). */
  nameAt?: { line: number; col: number };
}

// `yaml`'s core schema (node_modules/yaml/dist/schema/core), pattern for pattern.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
const INT_OCT = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/**
 * A plain scalar's value as the core schema resolves it: null, then bool, int and float, else
 * the text. Each pattern can match only text starting with certain characters, so the first
 * character picks the patterns worth trying; their order is the schema's.
 */
function resolvePlain(source: string): unknown {
  const first = source.charCodeAt(0);
  if (Number.isNaN(first) || first === 0x7e /* ~ */ || first === 0x6e /* n */ || first === 0x4e /* N */)
    return NULL.test(source) ? null : source;
  if (first === 0x74 /* t */ || first === 0x54 /* T */ || first === 0x66 /* f */ || first === 0x46 /* F */)
    return BOOL.test(source) ? first === 0x74 || first === 0x54 : source;
  const numeric = (first >= 0x30 && first <= 0x39) || first === 0x2b || first === 0x2d || first === 0x2e; // 0-9 + - .
  if (!numeric) return source;
  if (INT_OCT.test(source)) return parseInt(source.substring(2), 8);
  if (INT.test(source)) return parseInt(source, 10);
  if (INT_HEX.test(source)) return parseInt(source.substring(2), 16);
  if (FLOAT_SPECIAL.test(source))
    return source.slice(-3).toLowerCase() === 'nan' ? NaN : source[0] === '-' ? -Infinity : Infinity;
  return FLOAT_EXP.test(source) || FLOAT.test(source) ? parseFloat(source) : source;
}

const hasOwn = (map: object, key: string) => Object.prototype.hasOwnProperty.call(map, key);

/**
 * Text the two read differently before any event: a multi-line flow collection ending at its
 * parent's indent (`yaml` warns), a lone carriage return (a line break to js-yaml, not to `yaml`).
 */
const DIFFERENT_TEXT = /^[ \t]*[\]}]|\r(?!\n)/m;

/** `yaml` refuses an implicit key longer than 1,024 characters; js-yaml takes it. */
const LONGEST_LINE = 1000;

function hasLongLine(text: string): boolean {
  let start = 0;
  for (let end = text.indexOf('\n'); ; end = text.indexOf('\n', start)) {
    if ((end === -1 ? text.length : end) - start > LONGEST_LINE) return true;
    if (end === -1) return false;
    start = end + 1;
  }
}

/**
 * The data of a profile file when the fast parser can be trusted with it: one document whose
 * content is a mapping, with no anchor, alias, tag or directive, no duplicate or non-string key.
 * Undefined otherwise: the file is then read by `yaml`, which positions whatever is wrong.
 */
export function fastYaml(text: string): FastYaml | undefined {
  if (DIFFERENT_TEXT.test(text) || hasLongLine(text)) return undefined;
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return undefined;
  }
  const built = fromEvents(text, events);
  if (!built) return undefined;
  const { data, nameOffset } = built;
  // A `name` that is not a one-line scalar (a block scalar, a quoted key) is positioned by `yaml`.
  if (typeof data.name === 'string' && nameOffset === undefined) return undefined;
  return { data, ...(nameOffset === undefined ? {} : { nameAt: linePosition(text, nameOffset) }) };
}

/** The 1-based line and column of an offset, as `yaml`'s LineCounter gives them. */
function linePosition(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) {
    line++;
    lineStart = at + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

/** An open collection while the events are read; a mapping's `key` is its key waiting for a value. */
type Open = { list: unknown[] } | { map: Record<string, unknown>; key?: string };

/**
 * The data of one document holding a mapping, built in one pass over the events, and the offset
 * of the top-level `name` value when it is a one-line scalar under a plain `name` key. Undefined
 * for anything else: an anchor, alias, tag or directive, a second document, a duplicate key, or
 * a key that is not a string (`1:`, `null:`, `[a]:`) or that an object defines (`__proto__`).
 */
function fromEvents(
  text: string,
  events: readonly Event[],
): { data: Record<string, unknown>; nameOffset: number | undefined } | undefined {
  const first = events[0];
  const last = events.length - 1;
  const root = events[1];
  if (first?.type !== EVENT_ID.DOCUMENT || first.directives.length > 0 || root?.type !== EVENT_ID.MAPPING)
    return undefined;
  if (root.anchorStart !== -1 || root.tagStart !== -1) return undefined;
  const data: Record<string, unknown> = {};
  const open: Open[] = [{ map: data }];
  let nameOffset: number | undefined;
  // Whether the next event is the value of the top-level mapping's plain `name` key.
  let nameNext = false;
  /** Puts a value where the innermost open collection expects one; false when it may not go there. */
  const place = (value: unknown, isPlainName: boolean): boolean => {
    const into = open[open.length - 1]!;
    if ('list' in into) {
      into.list.push(value);
      return true;
    }
    if (into.key === undefined) {
      if (typeof value !== 'string' || value === '__proto__' || hasOwn(into.map, value)) return false;
      into.key = value;
      nameNext = isPlainName && open.length === 1;
      return true;
    }
    into.map[into.key] = value;
    into.key = undefined;
    return true;
  };
  for (let index = 2; index < last; index++) {
    const event = events[index]!;
    if (event.type === EVENT_ID.POP) {
      const closed = open.pop();
      if (closed && 'map' in closed && closed.key !== undefined) return undefined;
      // The top-level mapping closes with the last event but one; the last closes the document.
      if (open.length === 0)
        return index === last - 1 && events[last]?.type === EVENT_ID.POP ? { data, nameOffset } : undefined;
      continue;
    }
    if (event.type === EVENT_ID.DOCUMENT || event.type === EVENT_ID.ALIAS) return undefined;
    if (event.anchorStart !== -1 || event.tagStart !== -1 || open.length === 0) return undefined;
    const isNameValue = nameNext;
    nameNext = false;
    if (event.type === EVENT_ID.SCALAR) {
      const source = getScalarValue(text, event);
      const plain = event.style === SCALAR_STYLE.PLAIN;
      if (!place(plain ? resolvePlain(source) : source, plain && source === 'name')) return undefined;
      if (isNameValue) nameOffset = oneLineScalarStart(text, event.valueStart, event.valueEnd, event.style);
    } else {
      const opened: Open = event.type === EVENT_ID.MAPPING ? { map: {} } : { list: [] };
      if (!place('map' in opened ? opened.map : opened.list, false)) return undefined;
      open.push(opened);
    }
  }
  return undefined;
}

/** Where `yaml`'s range of a one-line plain or quoted scalar starts; undefined for other scalars. */
function oneLineScalarStart(text: string, start: number, end: number, style: number): number | undefined {
  if (start < 0 || text.slice(start, end).includes('\n')) return undefined;
  // An empty plain value (`name:`) is positioned by `yaml` at its key.
  if (style === SCALAR_STYLE.PLAIN) return start < end ? start : undefined;
  const quote = style === SCALAR_STYLE.DOUBLE_QUOTED ? '"' : style === SCALAR_STYLE.SINGLE_QUOTED ? "'" : undefined;
  return quote && text[start - 1] === quote ? start - 1 : undefined;
}
