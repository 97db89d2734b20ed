// The `exec` backend: runs a program on the gateway itself when a device is added, changed or
// removed (create the node in a running container, restart the service that uses the device).
// Being a backend, it gets the reconciler's persistence and retries: a removal that happens while
// the engine is stopped still runs its program at the next start.
import { deviceEnvironment, eventOf } from '../actions/device-environment.js';
import {
  argvSchema,
  DEFAULT_ACTION_TIMEOUT_MS,
  programOutcome,
  resolveArgv,
  timeoutSchema,
} from '../actions/program-action.js';
import { runProgram } from '../actions/run-program.js';
import type { JsonSchema } from '../core/json-schema.js';
import type { Logger } from '../core/log.js';
import type { ApplyResult, Backend, Change } from './backend.js';
import { defineBackend, type NotifyOptions } from './backend-definition.js';
import { EXEC_DELIVERY_CONCURRENCY } from '../reconcile/retry-policy.js';

/** A profile's notify entry for an exec backend: the program per event. */
const execNotifySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    added: { ...argvSchema, description: `Run when the device appears. ${argvSchema.description}` },
    changed: { ...argvSchema, description: 'Run when its payload changes.' },
    removed: { ...argvSchema, description: 'Run when it goes (also after an engine restart, with the facts it had).' },
    timeoutMs: timeoutSchema,
  },
} as const satisfies JsonSchema;

type ExecNotify = NotifyOptions<typeof execNotifySchema>;

export const execBackend = defineBackend({
  type: 'exec',
  description:
    'Runs a program (an argv list, never a shell) on the gateway when a device is added, changed or removed, with the device facts in DEVICE_* environment variables.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      timeoutMs: {
        ...timeoutSchema,
        default: DEFAULT_ACTION_TIMEOUT_MS,
        description: 'Default timeout of a program, for notify entries that give none.',
      },
    },
  },
  notifyLogic: [
    { path: ['added'], over: 'change' },
    { path: ['changed'], over: 'change' },
    { path: ['removed'], over: 'change' },
  ],
  notifySchema: execNotifySchema,
  followsFacts: true,
  builtIn: { name: 'exec', environment: {}, configFrom: () => ({}) },
  example: {
    config: { timeoutMs: 10000 },
    notify: {
      added: ['/usr/local/bin/device-attached', { var: 'facts.serial.path' }],
      removed: ['/usr/local/bin/device-detached'],
      timeoutMs: 5000,
    },
  },
  create: (options, context) => new ExecBackend(options.timeoutMs, context.log.child({ backend: context.name })),
});

class ExecBackend implements Backend<ExecNotify> {
  readonly concurrency = EXEC_DELIVERY_CONCURRENCY;

  constructor(
    private readonly defaultTimeoutMs: number,
    private readonly log: Logger,
  ) {}

  async apply(change: Change<ExecNotify>, signal: AbortSignal): Promise<ApplyResult> {
    const options = change.notify;
    const event = eventOf(change.op);
    const argvTemplate = options[event];
    // No program for this event is a decision of the profile, not a failure.
    if (!argvTemplate) return { outcome: 'acknowledged' };
    const subject = {
      event,
      identifier: change.identifier,
      payload: change.payload,
      facts: change.facts,
      profile: change.profile,
    };
    const resolved = resolveArgv(argvTemplate, subject);
    if ('problem' in resolved) return { outcome: 'permanent', reason: resolved.problem };
    const [program] = resolved.argv;
    const log = this.log.child({ identifier: change.identifier, event, program });
    const result = await runProgram({
      argv: resolved.argv,
      env: deviceEnvironment(subject),
      timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs,
      signal,
      log,
    });
    log.info('program ended', { ...result });
    return programOutcome(program!, result);
  }

  async close(): Promise<void> {}
}
