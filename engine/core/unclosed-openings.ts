import { yamlLibrary } from './yaml-library.js';

/** Where an unclosed bracket or quote opens, by what it is. */
export interface UnclosedOpenings {
  /** `[` never closed. */
  sequence: number[];
  /** `{` never closed. */
  mapping: number[];
  /** `"` or `'` never closed. */
  quote: number[];
}

const CLOSED_QUOTES: Readonly<Record<string, RegExp>> = {
  'double-quoted-scalar': /^"(?:[^"\\]|\\[\s\S])*"$/,
  'single-quoted-scalar': /^'(?:[^']|'')*'$/,
};

/**
 * The offsets of the brackets and quotes that `text` opens and never closes, from yaml's
 * concrete syntax tree. The parser notices the missing character only where the file ends or
 * the indentation breaks, far below the mistake; these offsets point at where it was made.
 */
export function unclosedOpenings(text: string): UnclosedOpenings {
  const found: UnclosedOpenings = { sequence: [], mapping: [], quote: [] };
  // An explicit stack, not recursion: a file of a few thousand `[` must not overflow the call
  // stack (yaml parses it; a recursive walk of its tree did not survive it).
  const pending: unknown[] = [...new (yamlLibrary().Parser)().parse(text)];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) {
      pending.push(...node);
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    const token = node as {
      type?: string;
      offset?: number;
      source?: string;
      start?: { type: string };
      end?: { type: string }[];
    };
    // A `}` where `]` was due ends the sequence for the parser, but it is not closed.
    const sequence = token.start?.type === 'flow-seq-start';
    const closing = sequence ? 'flow-seq-end' : 'flow-map-end';
    if (token.type === 'flow-collection' && !token.end?.some((end) => end.type === closing))
      found[sequence ? 'sequence' : 'mapping'].push(token.offset!);
    const closed = token.type ? CLOSED_QUOTES[token.type] : undefined;
    if (closed && typeof token.source === 'string' && !closed.test(token.source)) found.quote.push(token.offset!);
    for (const value of Object.values(node)) if (typeof value === 'object') pending.push(value);
  }
  return found;
}

/**
 * Where to report a yaml error: at the opening of the bracket or quote it is about (the last one
 * opened before the place yaml noticed), or where yaml noticed it.
 */
export function errorOffset(
  error: { code: string; message: string; pos: [number, number] },
  openings: UnclosedOpenings,
): number {
  const candidates =
    error.code === 'MISSING_CHAR' && /quote/.test(error.message)
      ? openings.quote
      : /end with a \]/.test(error.message)
        ? openings.sequence
        : /end with a \}/.test(error.message)
          ? openings.mapping
          : [];
  let opening: number | undefined;
  for (const offset of candidates)
    if (offset <= error.pos[0] && (opening === undefined || offset > opening)) opening = offset;
  return opening ?? error.pos[0];
}
