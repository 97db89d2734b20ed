/** How long to wait between attempts at one change. */
export interface RetryPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** Each further failure multiplies the delay by this. */
  factor: number;
  /** The delay never exceeds this. */
  capMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 500, factor: 2, capMs: 60_000 };

/**
 * Requests under way at once per backend, unless the config or the backend says otherwise. A
 * burst (a folder of nodes restored, a hub of devices plugged in) reaches a backend that answers
 * in a few milliseconds sooner the more requests share each turn of the event loop, each write of
 * the state and each flush (bench/RESULTS.md, the 1,000-file burst). A backend that waits on a
 * cloud for each request (the NuvlaBox agent calls Nuvla) gains more still.
 */
export const DEFAULT_DELIVERY_CONCURRENCY = 16;

/** Programs an exec backend runs at once unless the config says otherwise: each is a process. */
export const EXEC_DELIVERY_CONCURRENCY = 4;

/**
 * The delay before attempt `failures + 1`: exponential up to the cap, with "equal jitter" (half
 * fixed, half random) so that many devices failing together do not retry in lockstep.
 */
export function backoffDelay(
  failures: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.max(0, failures - 1));
  return exponential / 2 + random() * (exponential / 2);
}

/**
 * The wait before the next attempt after a retry: the engine's own backoff, lengthened to what
 * the server asked (`Retry-After`, already capped by whoever read it) but never shortened by it,
 * so `Retry-After: 0` or a date in the past cannot turn backoff off.
 */
export function retryDelay(
  failures: number,
  serverAfterMs: number | undefined,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number {
  return Math.max(backoffDelay(failures, policy, random), serverAfterMs ?? 0);
}

/** How long a registration held by someone else is left before it is looked at again. */
export function conflictRecheckDelay(policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  return policy.capMs;
}
