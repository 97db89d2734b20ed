/** One measured figure of a benchmark. */
export interface BenchFigure {
  name: string;
  /** NaN when the figure could not be measured; `skipped` then says why. */
  value: number;
  unit: string;
  skipped?: string;
}
