import jsonLogic from 'json-logic-js';
import { jsonWeight, WEIGHT_CEILING } from './json-weight.js';
import { installOperators } from './operators.js';

/**
 * What one evaluation may spend: operations evaluated, and the JSON size of any value it
 * builds. A profile's logic handles a few facts in a few hundred steps; these bounds only stop
 * what would exhaust memory or freeze the engine (a `reduce` that doubles a list or a string
 * thirty times builds hundreds of millions of characters).
 */
export const LOGIC_LIMITS = { steps: 50_000, valueCharacters: WEIGHT_CEILING } as const;

/** An evaluation stopped because it went past LOGIC_LIMITS. */
export class LogicLimitError extends Error {
  override readonly name = 'LogicLimitError';
}

let budget: { steps: number } | undefined;
let wrapped = false;

/**
 * json-logic-js recurses through `jsonLogic.apply`, including inside map, filter and reduce;
 * replacing that function once counts every step and weighs every value an operation returns.
 */
function installBounds(): void {
  if (wrapped) return;
  wrapped = true;
  const apply = jsonLogic.apply.bind(jsonLogic);
  jsonLogic.apply = ((logic: jsonLogic.RulesLogic, data?: unknown) => {
    if (budget && ++budget.steps > LOGIC_LIMITS.steps) {
      throw new LogicLimitError(`evaluation stopped after ${LOGIC_LIMITS.steps} operations`);
    }
    const result: unknown = apply(logic, data);
    if (
      (typeof result === 'string' || (typeof result === 'object' && result !== null)) &&
      jsonWeight(result) > LOGIC_LIMITS.valueCharacters
    ) {
      throw new LogicLimitError(`an operation built a value over ${LOGIC_LIMITS.valueCharacters} characters`);
    }
    return result;
  }) as typeof jsonLogic.apply;
}

/**
 * Runs `evaluate` under one budget of LOGIC_LIMITS (nested calls share the outer one). Throws
 * LogicLimitError when it is spent, and whatever json-logic-js throws on operands it cannot use.
 */
export function withinLogicLimits<T>(evaluate: () => T): T {
  installOperators();
  installBounds();
  if (budget) return evaluate();
  budget = { steps: 0 };
  try {
    return evaluate();
  } finally {
    budget = undefined;
  }
}

/** Evaluates one JSON-logic expression within LOGIC_LIMITS. */
export function evaluateLogic(logic: unknown, data: unknown): unknown {
  return withinLogicLimits(() => jsonLogic.apply(logic as jsonLogic.RulesLogic, data));
}
