/**
 * Readable explanations for the YAML parser's indentation and layout errors. The parser says
 * what rule broke ("All mapping items must start at the same column") at the start of the line;
 * a person needs to know which key is misaligned, where it should go and what to write instead.
 */

/** A parser error as the YAML library reports it: its code, where it is and its text. */
export interface ParserError {
  code: string;
  offset: number;
  message: string;
}

/** One line of the text, with where it starts and how far its spaces indent it. */
interface Line {
  number: number;
  start: number;
  text: string;
  indent: number;
}

function lineAt(text: string, offset: number): Line {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', start);
  const lineText = text.slice(start, end === -1 ? text.length : end);
  const number = text.slice(0, start).split('\n').length;
  return { number, start, text: lineText, indent: lineText.length - lineText.trimStart().length };
}

/** The key a line starts, e.g. `productId` in `   productId: "01a7"` (or `- name` for an item). */
function keyOf(line: Line): string | undefined {
  return /^\s*(-\s+)?([^\s#:][^:#]*?)\s*:(\s|$)/.exec(line.text)?.[2];
}

/**
 * The keys above `line` whose mappings are still open, nearest first: each indented less than
 * the one found before it, up to the top level. Their columns are where a key may start.
 */
function openKeysAbove(text: string, line: Line): Line[] {
  const found: Line[] = [];
  let limit = Infinity;
  for (let start = line.start - 1; start > 0 && limit > 0;) {
    const above = lineAt(text, start - 1);
    start = above.start;
    if (above.text.trim() === '' || above.text.trimStart().startsWith('#') || !keyOf(above)) continue;
    if (above.indent < limit) {
      found.push(above);
      limit = above.indent;
    }
  }
  return found;
}

const beside = (line: Line) => `column ${line.indent + 1}, beside \`${keyOf(line)}\` (line ${line.number})`;

function misalignedKey(text: string, error: ParserError): ParserError {
  const line = lineAt(text, error.offset);
  const key = keyOf(line) ?? line.text.trim();
  const open = openKeysAbove(text, line);
  const deeper = open.filter((above) => above.indent > line.indent).at(-1);
  const shallower = open.find((above) => above.indent < line.indent);
  const choices = [deeper, shallower].filter((choice) => choice !== undefined).map(beside);
  const where = choices.length > 0 ? `: move it to ${choices.join(', or to ')}` : '';
  return {
    ...error,
    offset: line.start + line.indent,
    message: `\`${key}\` starts at column ${line.indent + 1}, where no mapping above it has its keys${where}`,
  };
}

function tabIndent(text: string, error: ParserError): ParserError {
  const line = lineAt(text, error.offset);
  const tabbed = text
    .split('\n')
    .map((lineText, index) => (/^[ ]*\t/.test(lineText) ? index + 1 : 0))
    .filter((number) => number > line.number);
  const others = tabbed.length > 0 ? ` (so ${tabbed.length === 1 ? 'is line' : 'are lines'} ${tabbed.join(', ')})` : '';
  return {
    ...error,
    offset: line.start + line.text.indexOf('\t'),
    message: `a tab indents line ${line.number}${others}: YAML indents with spaces only; replace each tab with spaces`,
  };
}

function keyOnKeyLine(text: string, error: ParserError): ParserError {
  const line = lineAt(text, error.offset);
  const before = text.slice(line.start, error.offset).trim().replace(/^-\s+/, '');
  const outer = before.replace(/:$/, '').trim();
  const after = text.slice(error.offset, line.start + line.text.length).trim();
  const inner = after.split(':')[0]!.trim();
  if (!before.endsWith(':') || outer === '' || inner === '') return error;
  return {
    ...error,
    message:
      `\`${outer}: ${inner}:\` has two keys on one line: if \`${after}\` is text, quote it ` +
      `(\`${outer}: "${after.replace(/"/g, '\\"')}"\`); if \`${inner}\` belongs under \`${outer}\`, ` +
      `put it on a line of its own, indented below \`${outer}:\`, or in braces (\`${outer}: { ${after} }\`)`,
  };
}

const EXPLAIN: Readonly<Record<string, (text: string, error: ParserError) => ParserError>> = {
  BAD_INDENT: (text, error) => (/same column/.test(error.message) ? misalignedKey(text, error) : error),
  TAB_AS_INDENT: tabIndent,
  BLOCK_AS_IMPLICIT_KEY: keyOnKeyLine,
};

/** Indentation errors that follow from a tab reported before them. */
const INDENTATION_CODES = new Set(['BAD_INDENT', 'TAB_AS_INDENT']);

/**
 * The parser's errors explained for a person: a misaligned key is named with the columns it may
 * move to, a tab is one error (it throws every indentation after it off, so the indentation
 * errors below it are its consequences and are not repeated), and two keys on one line say what
 * to write instead. Errors without an explanation are kept as they are.
 */
export function explainSyntaxErrors(text: string, errors: readonly ParserError[]): ParserError[] {
  const explained: ParserError[] = [];
  let tabSeen = false;
  for (const error of errors) {
    if (tabSeen && INDENTATION_CODES.has(error.code)) continue;
    if (error.code === 'TAB_AS_INDENT') tabSeen = true;
    explained.push(EXPLAIN[error.code]?.(text, error) ?? error);
  }
  return explained;
}
