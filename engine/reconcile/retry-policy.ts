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
 * The delay before attempt `failures + 1`: exponential up to the cap, with "equal jitter" (half
 * fixed, half random) so that many devices failing together do not retry in lockstep.
 */
export function backoffDelay(failures: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY, random: () => number = Math.random): number {
  const exponential = Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.max(0, failures - 1));
  return exponential / 2 + random() * (exponential / 2);
}
