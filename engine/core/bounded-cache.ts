/**
 * Remembers `compute`'s results for at most `limit` keys, the least recently used going first.
 * For what is compiled from values built at evaluation time (a pattern made of a device's
 * strings): each new device must not grow memory for ever.
 */
export function boundedCache<V>(limit: number, compute: (key: string) => V): (key: string) => V {
  const entries = new Map<string, V>();
  return (key) => {
    let value = entries.get(key);
    if (value === undefined) {
      value = compute(key);
      if (entries.size >= limit) entries.delete(entries.keys().next().value!);
    } else {
      entries.delete(key);
    }
    entries.set(key, value);
    return value;
  };
}
