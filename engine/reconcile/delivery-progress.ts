// Where the delivery of one key stands: its attempts so far, when the next may go, and how that
// reads on the status server.
import type { DesiredEntry } from './desired-state.js';
import { fingerprint, kindOf, type Action } from './delivery-action.js';
import type { HeldEntry } from './state-store.js';

/** Where delivery of one identifier to one backend stands. */
export interface DeliveryStatus {
  backend: string;
  identifier: string;
  deviceKey: string;
  /**
   * `failed`: the backend refused the change for good (`lastError` says why); tried again slowly,
   * and at once when the payload, profile or config changes. `conflict`: the backend holds the
   * identifier for someone else; left untouched, looked at again slowly.
   */
  state: 'acknowledged' | 'pending' | 'retrying' | 'failed' | 'removing' | 'conflict';
  failures: number;
  lastError?: string;
  nextAttemptAt?: string;
}

/** How delivery of one key is going, between and during attempts. */
export interface Progress {
  inFlight: boolean;
  failures: number;
  /** When the next attempt may go (0: now), for an action of the kind `backoffFor`. */
  nextAttemptAt: number;
  /** Another kind of action (a delete after a failed create) does not wait for this backoff. */
  backoffFor?: 'register' | 'remove';
  timer?: NodeJS.Timeout;
  lastError?: string;
  /** The change that failed permanently: tried again at the retry cap, or at once when what is desired differs. */
  failedFor?: string;
  /** The backend answered the last attempt with `conflict`: someone else's registration. */
  conflict?: boolean;
}

/**
 * When this action may go: a backoff holds back only the action it was earned by. A change
 * refused for good waits for the retry cap unless what is desired differs; another kind of
 * action (a delete after a failed create) goes at once.
 */
export function dueAt(progress: Progress, action: Action): number {
  if (progress.nextAttemptAt === 0) return 0;
  if (progress.failedFor !== undefined) return progress.failedFor === fingerprint(action) ? progress.nextAttemptAt : 0;
  return progress.backoffFor === kindOf(action) ? progress.nextAttemptAt : 0;
}

/** How one key's delivery reads on /devices. */
export function deliveryStatus(
  desired: DesiredEntry | undefined,
  held: HeldEntry | undefined,
  progress: Progress | undefined,
  action: Action | undefined,
): DeliveryStatus {
  const base = {
    backend: (desired ?? held)!.backend,
    identifier: (desired ?? held)!.identifier,
    deviceKey: (desired ?? held)!.deviceKey,
    failures: progress?.failures ?? 0,
  };
  const extra = {
    ...(progress?.lastError ? { lastError: progress.lastError } : {}),
    ...(progress?.nextAttemptAt ? { nextAttemptAt: new Date(progress.nextAttemptAt).toISOString() } : {}),
  };
  if (progress?.failedFor !== undefined) return { ...base, state: 'failed', ...extra };
  if (progress?.conflict && desired) return { ...base, state: 'conflict', ...extra };
  if (!desired) return { ...base, state: 'removing', ...extra };
  if (action === undefined) return { ...base, state: 'acknowledged' };
  return { ...base, state: (progress?.failures ?? 0) > 0 ? 'retrying' : 'pending', ...extra };
}
