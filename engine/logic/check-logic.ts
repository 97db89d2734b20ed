import type { IssueCode, Severity } from '../core/errors.js';
import { unknownFactReason } from '../sources/fact-fields.js';
import { compileGlob } from '../match/glob.js';
import type { NodePath, NodePart } from '../core/yaml-source.js';
import { compileLinearRegex } from './linear-regex.js';
import { suggestFactPath } from './suggest-fact-path.js';
import { suggestOperator } from './suggest-operator.js';
import { FORBIDDEN_OPERATORS, ITERATING_OPERATORS, OPERATORS, UNSAFE_PATH_SEGMENTS } from './operators.js';
import { isPlainObject } from '../core/plain-object.js';

/** A problem in a JSON-logic value, at a path relative to the document. */
export interface LogicProblem {
  severity: Severity;
  code: IssueCode;
  path: NodePath;
  part: NodePart;
  message: string;
}

/** Why a `var` path names nothing in the data an expression is evaluated over, if it does not. */
export type VarChecker = (path: string) => string | undefined;

interface Context {
  /** Inside the per-element argument of map/filter/...: `var` reads the element, not the facts. */
  perElement: boolean;
  problems: LogicProblem[];
  unknownVar: VarChecker;
}

const didYouMean = (suggestion: string | undefined) => (suggestion ? `; did you mean \`${suggestion}\`?` : '');

/** Checks a value evaluated wholly as JSON-logic, such as `detect.when`. */
export function checkExpression(value: unknown, path: NodePath): LogicProblem[] {
  const context: Context = { perElement: false, problems: [], unknownVar: unknownFactReason };
  visitExpression(value, path, context);
  return context.problems;
}

/**
 * Checks a `map` value: constants stay constants, an object with one key is a JSON-logic
 * operation, lists and objects with several keys are checked member by member.
 */
export function checkTemplate(
  value: unknown,
  path: NodePath,
  unknownVar: VarChecker = unknownFactReason,
): LogicProblem[] {
  const context: Context = { perElement: false, problems: [], unknownVar };
  visitTemplate(value, path, context);
  return context.problems;
}

function visitTemplate(value: unknown, path: NodePath, context: Context): void {
  if (Array.isArray(value)) value.forEach((item, index) => visitTemplate(item, [...path, index], context));
  else if (isPlainObject(value) && Object.keys(value).length === 1 && !UNSAFE_PATH_SEGMENTS.has(Object.keys(value)[0]!))
    visitExpression(value, path, context);
  else if (isPlainObject(value)) {
    for (const [key, member] of Object.entries(value)) {
      if (UNSAFE_PATH_SEGMENTS.has(key)) reportUnsafeKey(key, [...path, key], context);
      else visitTemplate(member, [...path, key], context);
    }
  }
}

/** Checks the keys of a whole `map`: the payload's own keys obey the same rule as nested ones. */
export function checkMapKeys(map: Record<string, unknown>, path: NodePath): LogicProblem[] {
  const context: Context = { perElement: false, problems: [], unknownVar: unknownFactReason };
  for (const key of Object.keys(map)) if (UNSAFE_PATH_SEGMENTS.has(key)) reportUnsafeKey(key, [...path, key], context);
  return context.problems;
}

function reportUnsafeKey(key: string, path: NodePath, context: Context): void {
  context.problems.push({
    severity: 'error',
    code: 'unsafe-map-key',
    path,
    part: 'key',
    message: `\`${key}\` cannot be a key: it names a part of every JavaScript object, and the engine never sends it`,
  });
}

function visitExpression(value: unknown, path: NodePath, context: Context): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => visitExpression(item, [...path, index], context));
    return;
  }
  if (!isPlainObject(value)) return;
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    // json-logic-js returns such an object unevaluated: almost always a mistake in a condition.
    context.problems.push({
      severity: 'error',
      code: 'logic-unknown-operator',
      path,
      part: 'value',
      message: `a JSON-logic operation is an object with exactly one operator key; this one has ${keys.length}`,
    });
    return;
  }
  const operator = keys[0]!;
  const argument = value[operator];
  const operatorPath = [...path, operator];
  if (!checkOperator(operator, argument, operatorPath, context)) return;
  const args = Array.isArray(argument) ? argument : [argument];
  if (operator === 'var') checkVarPath(args[0], [...operatorPath, ...(Array.isArray(argument) ? [0] : [])], context);
  if (operator === 'missing' || operator === 'missing_some')
    checkMissingNames(operator, argument, operatorPath, context);
  if (operator === 'missing_some') checkMissingSome(argument, operatorPath, context);
  if (operator === 'regex' || operator === 'glob')
    checkPattern(operator, args[0], Array.isArray(argument) ? [...operatorPath, 0] : operatorPath, context);
  args.forEach((item, index) => {
    const itemPath = Array.isArray(argument) ? [...operatorPath, index] : operatorPath;
    const perElement = context.perElement || (ITERATING_OPERATORS.has(operator) && index === 1);
    visitExpression(item, itemPath, perElement === context.perElement ? context : { ...context, perElement });
  });
}

/** Reports unknown or forbidden operators and wrong arity; false when the operator is unusable. */
function checkOperator(operator: string, argument: unknown, path: NodePath, context: Context): boolean {
  const forbidden = FORBIDDEN_OPERATORS[operator];
  const arity = OPERATORS[operator];
  if (forbidden || !arity) {
    context.problems.push({
      severity: 'error',
      code: 'logic-unknown-operator',
      path,
      part: 'key',
      message: forbidden
        ? `operator \`${operator}\` is not allowed: ${forbidden}`
        : `unknown JSON-logic operator \`${operator}\`${didYouMean(suggestOperator(operator))} (an object with one key is read as an operation)`,
    });
    return false;
  }
  // An argument that is itself an operation yields the argument list only when evaluated.
  const count = Array.isArray(argument) ? argument.length : isPlainObject(argument) ? undefined : 1;
  if (count === undefined || (operator === 'var' && argument === undefined)) return true;
  if (count < arity.min || (arity.max !== undefined && count > arity.max)) {
    const expected =
      arity.max === undefined
        ? `at least ${arity.min}`
        : arity.min === arity.max
          ? `${arity.min}`
          : `${arity.min} to ${arity.max}`;
    context.problems.push({
      severity: 'error',
      code: 'logic-arity',
      path,
      part: 'key',
      message: `\`${operator}\` takes ${expected} argument${expected === '1' || expected === 'at least 1' ? '' : 's'}, not ${count}`,
    });
  }
  return true;
}

function checkVarPath(name: unknown, path: NodePath, context: Context): void {
  if (typeof name !== 'string' && typeof name !== 'number') return;
  const text = String(name);
  const unsafe = text.split('.').find((segment) => UNSAFE_PATH_SEGMENTS.has(segment));
  if (unsafe) {
    context.problems.push({
      severity: 'error',
      code: 'logic-unsafe-path',
      path,
      part: 'value',
      message: `var path \`${text}\` goes through \`${unsafe}\`, which is never allowed`,
    });
    return;
  }
  if (context.perElement) return;
  const reason = context.unknownVar(text);
  if (!reason) return;
  // An error: a condition reading nothing silently never holds.
  const suggestion = context.unknownVar === unknownFactReason ? suggestFactPath(text) : undefined;
  context.problems.push({
    severity: 'error',
    code: 'logic-unknown-fact',
    path,
    part: 'value',
    message: `var \`${text}\`: ${reason}${didYouMean(suggestion)}`,
  });
}

function checkMissingNames(operator: string, argument: unknown, path: NodePath, context: Context): void {
  const names = operator === 'missing_some' && Array.isArray(argument) ? argument[1] : argument;
  const namesPath = operator === 'missing_some' ? [...path, 1] : path;
  const list = Array.isArray(names) ? names : [names];
  list.forEach((name, index) => checkVarPath(name, Array.isArray(names) ? [...namesPath, index] : namesPath, context));
}

/**
 * json-logic-js throws when `missing_some` is not given a count and a list of names (it reads
 * the list's length); a constant or `var` in their place is a mistake, whatever the facts.
 */
function checkMissingSome(argument: unknown, path: NodePath, context: Context): void {
  if (!Array.isArray(argument) || argument.length !== 2) return;
  const [count, names] = argument;
  if (typeof count !== 'number' && !isPlainObject(count)) {
    context.problems.push({
      severity: 'error',
      code: 'logic-argument',
      path: [...path, 0],
      part: 'value',
      message: '`missing_some` takes the number of names needed first',
    });
  }
  const operator = isPlainObject(names) ? Object.keys(names)[0] : undefined;
  if (!Array.isArray(names) && operator !== 'merge' && operator !== 'if' && operator !== '?:') {
    context.problems.push({
      severity: 'error',
      code: 'logic-argument',
      path: [...path, 1],
      part: 'value',
      message:
        '`missing_some` takes a list of names second, e.g. `[1, ["usb.serialNumber", "serial.byId"]]`; anything else fails on every device',
    });
  }
}

function checkPattern(operator: string, pattern: unknown, path: NodePath, context: Context): void {
  if (typeof pattern !== 'string') return;
  if (operator === 'regex') {
    const compiled = compileLinearRegex(pattern);
    if (!compiled.ok)
      context.problems.push({
        severity: 'error',
        code: 'invalid-regex',
        path,
        part: 'value',
        message: compiled.reason,
      });
    return;
  }
  const compiled = compileGlob(pattern, 'text');
  if (!compiled.ok)
    context.problems.push({
      severity: 'error',
      code: 'invalid-glob',
      path,
      part: 'value',
      message: `glob \`${pattern}\`: ${compiled.reason}`,
    });
  else
    for (const warning of compiled.warnings)
      context.problems.push({
        severity: 'warning',
        code: 'glob-unclosed-bracket',
        path,
        part: 'value',
        message: `glob \`${pattern}\`: ${warning}`,
      });
}
