import jsonLogic from 'json-logic-js';
import { evaluatedTextGlob } from '../match/glob.js';
import { cachedLinearRegex } from './linear-regex.js';

/** How many arguments an operator takes; `max` undefined means any number. */
export interface Arity {
  min: number;
  max?: number;
}

/**
 * The JSON-logic operators a profile may use: json-logic-js's own, less the two that reach
 * outside the data, plus the few the engine adds for device matching.
 */
export const OPERATORS: Readonly<Record<string, Arity>> = {
  var: { min: 0, max: 2 },
  missing: { min: 1 },
  missing_some: { min: 2, max: 2 },
  if: { min: 1 },
  '?:': { min: 3, max: 3 },
  '==': { min: 2, max: 2 },
  '===': { min: 2, max: 2 },
  '!=': { min: 2, max: 2 },
  '!==': { min: 2, max: 2 },
  '!': { min: 1, max: 1 },
  '!!': { min: 1, max: 1 },
  or: { min: 1 },
  and: { min: 1 },
  '>': { min: 2, max: 2 },
  '>=': { min: 2, max: 2 },
  '<': { min: 2, max: 3 },
  '<=': { min: 2, max: 3 },
  max: { min: 1 },
  min: { min: 1 },
  '+': { min: 1 },
  '-': { min: 1, max: 2 },
  '*': { min: 1 },
  '/': { min: 2, max: 2 },
  '%': { min: 2, max: 2 },
  map: { min: 2, max: 2 },
  filter: { min: 2, max: 2 },
  reduce: { min: 2, max: 3 },
  all: { min: 2, max: 2 },
  none: { min: 2, max: 2 },
  some: { min: 2, max: 2 },
  merge: { min: 0 },
  in: { min: 2, max: 2 },
  cat: { min: 0 },
  substr: { min: 2, max: 3 },
  // Added by the engine.
  lower: { min: 1, max: 1 },
  upper: { min: 1, max: 1 },
  glob: { min: 2, max: 2 },
  regex: { min: 2, max: 2 },
};

/** json-logic-js operators a profile may not use, and why. */
export const FORBIDDEN_OPERATORS: Readonly<Record<string, string>> = {
  method: 'it calls arbitrary methods of the facts, which a profile must not be able to do',
  log: 'it writes to standard output, where the stdout backend writes its JSON lines',
};

/** Operators whose second argument is evaluated against each element, not against the facts. */
export const ITERATING_OPERATORS = new Set(['map', 'filter', 'reduce', 'all', 'none', 'some']);

/** Property names that a `var` path may never walk through. */
export const UNSAFE_PATH_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

let installed = false;

/**
 * Makes json-logic-js evaluate exactly the operators above. Called by whatever evaluates
 * profile logic; idempotent.
 */
export function installOperators(): void {
  if (installed) return;
  installed = true;
  for (const name of Object.keys(FORBIDDEN_OPERATORS)) jsonLogic.rm_operation(name);
  jsonLogic.add_operation('lower', (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value));
  jsonLogic.add_operation('upper', (value: unknown) => (typeof value === 'string' ? value.toUpperCase() : value));
  jsonLogic.add_operation('glob', (pattern: unknown, value: unknown) => {
    if (typeof pattern !== 'string' || typeof value !== 'string') return false;
    const compiled = evaluatedTextGlob(pattern);
    return compiled.ok && compiled.regex.test(value);
  });
  jsonLogic.add_operation('regex', (pattern: unknown, value: unknown) => {
    if (typeof pattern !== 'string' || typeof value !== 'string') return false;
    const compiled = cachedLinearRegex(pattern);
    return compiled.ok && compiled.regex.matcher(value).find();
  });
  // A path computed at run time (`{var: {cat: [...]}}`) escapes the validator's check.
  jsonLogic.add_operation('var', readVar);
}

/** json-logic-js's own `var`, refusing paths through UNSAFE_PATH_SEGMENTS as if they named nothing. */
function readVar(this: unknown, path: unknown, notFound?: unknown): unknown {
  const fallback = notFound === undefined ? null : notFound;
  if (path === undefined || path === null || path === '') return this;
  let node: unknown = this;
  for (const segment of String(path).split('.')) {
    if (UNSAFE_PATH_SEGMENTS.has(segment)) return fallback;
    if (node === null || node === undefined) return fallback;
    node = (node as Record<string, unknown>)[segment];
    if (node === undefined) return fallback;
  }
  return node;
}
