// A backend for the reconciler's unit tests: its answers are scripted by the test, and it records
// every change it is asked to make.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApplyResult, Backend, Change } from '../../engine/backends/backend.js';
import { createLogger } from '../../engine/core/log.js';
import { entryKey, type DesiredEntry } from '../../engine/reconcile/desired-state.js';
import { Reconciler } from '../../engine/reconcile/reconciler.js';
import type { RetryPolicy } from '../../engine/reconcile/retry-policy.js';

export const quiet = createLogger('error', () => {});

/** A backend whose answers the test scripts, recording every change it is asked to make. */
export class ScriptedBackend implements Backend {
  readonly changes: Change[] = [];
  answers: ApplyResult[] = [];
  delayMs = 0;
  throws = false;

  async apply(change: Change): Promise<ApplyResult> {
    this.changes.push(change);
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.throws) throw new Error('backend exploded');
    return this.answers.shift() ?? { outcome: 'acknowledged', remote: { seen: change.op } };
  }

  async close(): Promise<void> {}
}

/** A desired entry for backend `b`, keyed as the reconciler keys it. */
export function entry(identifier: string, payload: Record<string, unknown>): [string, DesiredEntry] {
  return [
    entryKey('b', identifier),
    {
      backend: 'b',
      identifier,
      payload: { identifier, ...payload },
      notify: { backend: 'b' },
      profile: 'p',
      deviceKey: `dev:${identifier}`,
    },
  ];
}

/** A reconciler delivering to `backend` as `b`, with quick retries unless told otherwise. */
export function reconciler(
  backend: Backend,
  stateDir = mkdtempSync(path.join(tmpdir(), 'reconciler-')),
  policy: RetryPolicy = { baseMs: 10, factor: 2, capMs: 50 },
) {
  const instance = new Reconciler({ backends: new Map([['b', backend]]), stateDir, log: quiet, policy });
  return { instance, stateDir };
}
