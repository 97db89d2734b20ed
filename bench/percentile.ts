// Order statistics for benchmark samples.

/** The median (the lower one for an even count); NaN for an empty list. */
export const median = (values: readonly number[]): number => percentile(values, 0.5);

/** Nearest-rank percentile (`fraction` in (0, 1]) of a list; NaN for an empty one. */
export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}
