// The fast way to read a profile: js-yaml's event parser, about three times faster than the
// `yaml` library with positions, trusted only where the two cannot read the file differently.
// Plain scalars resolve exactly as `yaml`'s YAML 1.2 core schema resolves them (the same
// patterns and conversions, not js-yaml's, which also take `1_000` and `0b1`); anything the
// two treat differently or that only `yaml` reports (anchors, aliases, tags, directives, several
// documents, duplicate or non-string keys, a flow collection closed at its parent's indent) is
// declined, and the caller parses with `yaml`. test/profiles/fast-yaml.test.ts compares the two
// on every corpus, example and shipped profile and on thousands of mutated ones.
import {
  constructFromEvents,
  defineMappingTag,
  defineScalarTag,
  EVENT_ID,
  NOT_RESOLVED,
  parseEvents,
  SCALAR_STYLE,
  Schema,
  seqTag,
  strTag,
  type Event,
} from 'js-yaml';

/** A profile read on the fast path: its data, and where the value of its top-level `name` is. */
export interface FastYaml {
  data: Record<string, unknown>;
  /** Where the `name` value starts, as `yaml` positions it (a quoted scalar at its quote). */
  nameAt?: { line: number; col: number };
}

/** A plain scalar resolver: the value, or NOT_RESOLVED when the text is not of this type. */
const implicit = (tag: string, resolve: (source: string) => unknown) =>
  defineScalarTag(tag, { implicit: true, implicitFirstChars: null, resolve, identify: () => false });

// `yaml`'s core schema (node_modules/yaml/dist/schema/core), pattern for pattern.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
const INT_OCT = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

const nullTag = implicit('tag:yaml.org,2002:null', (source) => (NULL.test(source) ? null : NOT_RESOLVED));
const boolTag = implicit('tag:yaml.org,2002:bool', (source) =>
  BOOL.test(source) ? source[0] === 't' || source[0] === 'T' : NOT_RESOLVED,
);
const intTag = implicit('tag:yaml.org,2002:int', (source) => {
  if (INT_OCT.test(source)) return parseInt(source.substring(2), 8);
  if (INT.test(source)) return parseInt(source, 10);
  if (INT_HEX.test(source)) return parseInt(source.substring(2), 16);
  return NOT_RESOLVED;
});
const floatTag = implicit('tag:yaml.org,2002:float', (source) => {
  if (FLOAT_SPECIAL.test(source))
    return source.slice(-3).toLowerCase() === 'nan' ? NaN : source[0] === '-' ? -Infinity : Infinity;
  return FLOAT_EXP.test(source) || FLOAT.test(source) ? parseFloat(source) : NOT_RESOLVED;
});

/**
 * Mappings as plain objects with string keys only: a key that `yaml` would stringify (`1:`,
 * `null:`, `[a]:`) or define specially (`__proto__`) is refused, which declines the file.
 */
const mapTag = defineMappingTag<Record<string, unknown>>('tag:yaml.org,2002:map', {
  create: () => ({}),
  addPair: (map, key, value) => {
    if (typeof key !== 'string' || key === '__proto__') return 'not a plain string key';
    map[key] = value;
    return '';
  },
  has: (map, key) => typeof key === 'string' && Object.prototype.hasOwnProperty.call(map, key),
  keys: (map) => Object.keys(map),
  get: (map, key) => map[String(key)],
  identify: () => false,
});

const SCHEMA = new Schema([strTag, seqTag, mapTag, nullTag, boolTag, intTag, floatTag]);

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
  const nameOffset = plainShape(text, events);
  if (nameOffset === false) return undefined;
  let documents: unknown[];
  try {
    documents = constructFromEvents(events, { source: text, schema: SCHEMA, maxAliases: 0 });
  } catch {
    return undefined;
  }
  const data = documents[0] as Record<string, unknown>;
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

/**
 * Whether the events are one document holding a mapping, without anchors, aliases, tags or
 * directives (false when not), and the offset of the top-level `name` value when it is a
 * one-line scalar under a plain `name` key.
 */
function plainShape(text: string, events: readonly Event[]): number | undefined | false {
  const first = events[0];
  if (first?.type !== EVENT_ID.DOCUMENT || first.directives.length > 0 || events[1]?.type !== EVENT_ID.MAPPING)
    return false;
  // Per open node (the document, then collections): how many children it has had; in a
  // mapping, the even ones are keys. The top-level mapping's children are at depth 2.
  const counts: number[] = [0];
  let nameKeyAt = -1;
  let nameOffset: number | undefined;
  for (let index = 1; index < events.length; index++) {
    const event = events[index]!;
    if (event.type === EVENT_ID.POP) {
      counts.pop();
      if (counts.length === 0 && index !== events.length - 1) return false; // a second document
      continue;
    }
    if (event.type === EVENT_ID.DOCUMENT || event.type === EVENT_ID.ALIAS) return false;
    if (event.anchorStart !== -1 || event.tagStart !== -1) return false;
    const position = counts[counts.length - 1]!++;
    if (event.type !== EVENT_ID.SCALAR) {
      counts.push(0);
    } else if (counts.length === 2 && position % 2 === 0) {
      if (event.style === SCALAR_STYLE.PLAIN && text.slice(event.valueStart, event.valueEnd) === 'name')
        nameKeyAt = position;
    } else if (counts.length === 2 && position === nameKeyAt + 1 && nameKeyAt >= 0) {
      nameOffset = oneLineScalarStart(text, event.valueStart, event.valueEnd, event.style);
    }
  }
  return nameOffset;
}

/** Where `yaml`'s range of a one-line plain or quoted scalar starts; undefined for other scalars. */
function oneLineScalarStart(text: string, start: number, end: number, style: number): number | undefined {
  if (start < 0 || text.slice(start, end).includes('\n')) return undefined;
  // An empty plain value (`name:`) is positioned by `yaml` at its key.
  if (style === SCALAR_STYLE.PLAIN) return start < end ? start : undefined;
  const quote = style === SCALAR_STYLE.DOUBLE_QUOTED ? '"' : style === SCALAR_STYLE.SINGLE_QUOTED ? "'" : undefined;
  return quote && text[start - 1] === quote ? start - 1 : undefined;
}
