// A program a profile asks the engine to run: its schema, its argv (constants or JSON-logic over
// the device), and what its end means for delivery.
import type { ApplyResult } from '../backends/backend.js';
import type { FromSchema } from '../core/from-schema.js';
import type { JsonSchema } from '../core/json-schema.js';
import { evaluateTemplate } from '../map/map-payload.js';
import type { ActionSubject } from './device-environment.js';
import type { ProgramResult } from './run-program.js';

export const DEFAULT_ACTION_TIMEOUT_MS = 30_000;

/** An argv list: each item a string, or a JSON-logic expression over `{event, identifier, payload, facts}`. */
export const argvSchema = {
  type: 'array',
  minItems: 1,
  items: { type: ['string', 'object'] },
  description:
    'The program and its arguments, run without a shell. Each item is a string, or a JSON-logic expression over `event`, `identifier`, `payload` and `facts` (e.g. `{var: "facts.serial.path"}`).',
  examples: [['/usr/local/bin/attach-device', { var: 'facts.serial.path' }]],
} as const satisfies JsonSchema;

export const timeoutSchema = {
  type: 'integer',
  minimum: 10,
  maximum: 3_600_000,
  description: 'Milliseconds before the program is sent SIGTERM (then SIGKILL 2 s later).',
} as const satisfies JsonSchema;

/** `{argv, timeoutMs}`: an action named by a balena hook. */
export const programActionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['argv'],
  properties: { argv: argvSchema, timeoutMs: { ...timeoutSchema, default: DEFAULT_ACTION_TIMEOUT_MS } },
} as const satisfies JsonSchema;

/** An action as a profile writes it, validated by {@link programActionSchema}. */
export type ProgramAction = FromSchema<typeof programActionSchema>;

/** The data argv expressions read. */
export function templateData(subject: ActionSubject): Record<string, unknown> {
  return {
    event: subject.event,
    identifier: subject.identifier,
    payload: subject.payload,
    facts: subject.facts ?? {},
    profile: subject.profile ?? null,
  };
}

/** The argv with its expressions evaluated, or why it cannot be run. */
export function resolveArgv(
  argv: readonly unknown[],
  subject: ActionSubject,
): { argv: string[] } | { problem: string } {
  const data = templateData(subject);
  const resolved: string[] = [];
  for (const [index, item] of argv.entries()) {
    let value: unknown;
    try {
      value = evaluateTemplate(item, data);
    } catch (error) {
      return { problem: `argv[${index}] could not be evaluated: ${(error as Error).message}` };
    }
    if (value === null || value === undefined || typeof value === 'object')
      return { problem: `argv[${index}] evaluates to ${JSON.stringify(value ?? null)}, not a string` };
    resolved.push(String(value));
  }
  if (resolved[0] === '') return { problem: 'argv[0] is empty' };
  return { argv: resolved };
}

/**
 * What a program's end means for delivery: exit 0 is done; a non-zero exit, a kill or a timeout
 * is worth another try; a program that cannot be started will not start next time either.
 */
export function programOutcome(program: string, result: ProgramResult): ApplyResult {
  switch (result.outcome) {
    case 'exited':
      return result.code === 0
        ? { outcome: 'acknowledged' }
        : { outcome: 'retry', reason: `${program} exited with code ${result.code}` };
    case 'killed':
      return { outcome: 'retry', reason: `${program} was killed by ${result.signal}` };
    case 'timed-out':
      return { outcome: 'retry', reason: `${program} timed out after ${result.ms} ms and was killed` };
    case 'aborted':
      return { outcome: 'retry', reason: `${program} was stopped: the engine is stopping` };
    case 'not-started':
      return { outcome: 'permanent', reason: `${program} could not be started (${result.code})` };
  }
}
