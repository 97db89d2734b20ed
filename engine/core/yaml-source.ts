import type { Document, LineCounter, Node } from 'yaml';
import type { IssueCode, ProfileIssue, Severity } from './errors.js';
import { errorOffset, unclosedOpenings } from './unclosed-openings.js';
import { yamlLibrary } from './yaml-library.js';
import { explainSyntaxErrors } from './yaml-syntax-hint.js';

/** A path into a parsed document: keys of mappings and indexes of sequences. */
export type NodePath = readonly (string | number)[];

/** One YAML file, parsed, with what is needed to point at any of its nodes. */
export interface YamlSource {
  file: string;
  text: string;
  document: Document.Parsed;
  lineCounter: LineCounter;
}

/** Which part of a mapping entry to point at. */
export type NodePart = 'key' | 'value';

const YAML_ERROR_CODES: Readonly<Record<string, IssueCode>> = { DUPLICATE_KEY: 'duplicate-key' };

/**
 * Parses one file that must hold exactly one YAML document. Returns the document when it can be
 * read as data (duplicate keys are reported but do not stop the other checks), and every
 * problem found, positioned.
 */
export function parseYamlSource(file: string, text: string): { source?: YamlSource; issues: ProfileIssue[] } {
  const { LineCounter, parseAllDocuments } = yamlLibrary();
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
  const issue = (severity: Severity, code: IssueCode, offset: number, message: string): ProfileIssue => {
    const { line, col } = at(offset);
    return { severity, code, file, line, col, message };
  };
  // A trailing `---` leaves an empty last document: nothing is in it, so nothing is wrong.
  const list = (Array.isArray(documents) ? documents : []).filter(
    (document, index) => index === 0 || document.contents !== null || document.errors.length > 0,
  );
  const first = list[0];
  if (!first || (list.length === 1 && first.contents === null && first.errors.length === 0)) {
    return { issues: [issue('error', 'empty-file', 0, 'the file holds no YAML document: a profile is one mapping')] };
  }
  const issues: ProfileIssue[] = [];
  for (const extra of list.slice(1)) {
    issues.push(
      issue(
        'error',
        'multiple-documents',
        extra.range[0],
        'a second YAML document: put each profile in a file of its own',
      ),
    );
  }
  let readable = true;
  const openings = first.errors.length > 0 ? unclosedOpenings(text) : { sequence: [], mapping: [], quote: [] };
  const reported = new Set<string>();
  const errors = explainSyntaxErrors(
    text,
    first.errors.map((error) => ({
      code: error.code,
      offset: errorOffset(error, openings),
      message: oneLine(error.message).replace(/ at line \d+, column \d+:?$/, ''),
    })),
  );
  for (const error of errors) {
    const code = YAML_ERROR_CODES[error.code] ?? 'yaml-syntax';
    if (code === 'yaml-syntax') readable = false;
    const found = issue('error', code, error.offset, error.message);
    // One unclosed bracket is noticed once per enclosing collection, all at the same place.
    const key = `${found.line}:${found.col} ${found.message}`;
    if (!reported.has(key)) issues.push(found);
    reported.add(key);
  }
  for (const warning of first.warnings)
    issues.push(issue('warning', 'yaml-syntax', warning.pos[0], oneLine(warning.message)));
  return readable ? { source: { file, text, document: first, lineCounter }, issues } : { issues };
}

function oneLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

/** The node at `path`, or the deepest node on the way there that exists. */
export function nodeAt(source: YamlSource, path: NodePath, part: NodePart = 'value'): { node?: Node; keyNode?: Node } {
  const { isMap, isPair, isScalar, isSeq } = yamlLibrary();
  let node: unknown = source.document.contents;
  let keyNode: Node | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      keyNode = pair.key as Node;
      node = pair.value ?? undefined;
      // `key:` with nothing after it: point at the key, not at the empty spot after the colon.
      if (node === undefined || (isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1]))
        return { node: keyNode, keyNode };
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      keyNode = undefined;
      node = node.items[segment];
    } else {
      break;
    }
  }
  const found = (node ?? undefined) as Node | undefined;
  return part === 'key' && keyNode ? { node: keyNode, keyNode } : { node: found, keyNode };
}

/** The 1-based line and column of the node at `path` (its key with `part: 'key'`). */
export function positionOf(
  source: YamlSource,
  path: NodePath,
  part: NodePart = 'value',
): { line: number; col: number } {
  const { node } = nodeAt(source, path, part);
  const offset = node?.range?.[0] ?? 0;
  return source.lineCounter.linePos(offset);
}

/** The text as written at `path`, e.g. `0x0403` where the data holds 1027. */
export function sourceTextAt(source: YamlSource, path: NodePath): string | undefined {
  const { node } = nodeAt(source, path);
  if (!node?.range) return undefined;
  return source.text.slice(node.range[0], node.range[1]);
}

/** Builds a positioned issue for the node at `path`. */
export function issueAt(
  source: YamlSource,
  path: NodePath,
  part: NodePart,
  severity: Severity,
  code: IssueCode,
  message: string,
): ProfileIssue {
  const { line, col } = positionOf(source, path, part);
  return { severity, code, file: source.file, line, col, message };
}

/** How many aliases a document may use: enough for any profile, too few for an alias bomb. */
const MAX_ALIASES = 100;

/**
 * The document as plain data, or the issue that says why it cannot be: an alias inside the node
 * it names (`name: &a [1, *a]`, data that contains itself) or too many aliases (a "billion laughs"
 * bomb). Both are found before any data is built, so no check ever meets a cyclic value.
 */
export function documentData(source: YamlSource): { data: unknown } | { issue: ProfileIssue } {
  const at = (offset: number, message: string): ProfileIssue => {
    const { line, col } = source.lineCounter.linePos(offset);
    return { severity: 'error', code: 'yaml-syntax', file: source.file, line, col, message };
  };
  const { visit } = yamlLibrary();
  let found: ProfileIssue | undefined;
  let aliases = 0;
  visit(source.document, {
    Alias(_key, alias, path) {
      aliases += 1;
      const target = alias.resolve(source.document);
      if (target && path.includes(target)) {
        found = at(
          alias.range?.[0] ?? 0,
          `the alias *${alias.source} is inside the node it names: the data would contain itself`,
        );
        return visit.BREAK;
      }
      if (aliases > MAX_ALIASES) {
        found = at(alias.range?.[0] ?? 0, `more than ${MAX_ALIASES} aliases: a profile never needs that many`);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (found) return { issue: found };
  try {
    return { data: source.document.toJS({ maxAliasCount: MAX_ALIASES }) };
  } catch (error) {
    // The yaml library counts aliases as they expand: a few nested ones can still be a bomb.
    const message = /alias/i.test((error as Error).message)
      ? 'the aliases expand to too much data (an alias bomb)'
      : (error as Error).message;
    return { issue: issueAt(source, [], 'value', 'error', 'yaml-syntax', message) };
  }
}
