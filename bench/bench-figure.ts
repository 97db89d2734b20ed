/** One measured figure of a benchmark. */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
}
