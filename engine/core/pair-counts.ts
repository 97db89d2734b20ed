/**
 * Counts by two names, such as a source and an action or a backend and an outcome, kept apart
 * (never joined into one string and split again, which cuts a name holding the separator).
 */
export class PairCounts {
  private readonly counts = new Map<string, Map<string, number>>();

  /** Counts `items` by the two names each gives. */
  static of<T>(items: Iterable<T>, first: (item: T) => string, second: (item: T) => string): PairCounts {
    const counts = new PairCounts();
    for (const item of items) counts.add(first(item), second(item));
    return counts;
  }

  add(first: string, second: string): void {
    let inner = this.counts.get(first);
    if (!inner) this.counts.set(first, (inner = new Map()));
    inner.set(second, (inner.get(second) ?? 0) + 1);
  }

  /** Every pair counted, with its count, in the order first counted. */
  entries(): (readonly [string, string, number])[] {
    return [...this.counts].flatMap(([first, inner]) =>
      [...inner].map(([second, count]) => [first, second, count] as const),
    );
  }
}
