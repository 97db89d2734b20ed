import { closestWord } from '../core/closest-word.js';
import { OPERATORS } from './operators.js';

/** Operators people write from other languages, and the JSON-logic one they mean. */
const FROM_OTHER_LANGUAGES: Readonly<Record<string, string>> = {
  '=': '==',
  '&&': 'and',
  '||': 'or',
  not: '!',
  '<>': '!=',
  eq: '==',
  ne: '!=',
  neq: '!=',
  concat: 'cat',
  contains: 'in',
  '=~': 'regex',
  match: 'regex',
};

/** The operator an unknown `operator` most likely meant, or undefined. */
export function suggestOperator(operator: string): string | undefined {
  const known = Object.keys(OPERATORS);
  const mapped = FROM_OTHER_LANGUAGES[operator.toLowerCase()];
  if (mapped && known.includes(mapped)) return mapped;
  // Symbols are too short for an edit distance to mean anything.
  return /^[A-Za-z_]/.test(operator)
    ? closestWord(
        operator,
        known.filter((name) => /^[A-Za-z_]/.test(name)),
      )
    : undefined;
}
