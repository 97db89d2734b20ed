/** The most jsonWeight tells apart: heavier values all weigh Infinity. */
export const WEIGHT_CEILING = 1_048_576;

// Weights by identity, kept across calls: values built by JSON-logic are never changed after
// they are returned, and an evaluation weighs each of them as it is built (see evaluate-logic).
const weights = new WeakMap<object, number>();

/**
 * How long a value's JSON text is at least, in characters, or `Infinity` past WEIGHT_CEILING
 * (the walk stops there). Objects are weighed once (remembered by identity), so a value that
 * holds the same list many times over — what a doubling `reduce` builds — costs as many steps
 * as it has distinct parts, not as its JSON text has characters. Weigh only values that no
 * one changes afterwards.
 */
export function jsonWeight(value: unknown): number {
  return weigh(value, 0);
}

function weigh(node: unknown, depth: number): number {
  if (typeof node === 'string') return node.length + 2;
  if (typeof node === 'number') return Number.isFinite(node) ? String(node).length : 4;
  if (typeof node === 'boolean' || node === null) return 4;
  if (typeof node !== 'object') return 0;
  const known = weights.get(node);
  if (known !== undefined) return known;
  // A value nested this deep is no payload; JSON.stringify would overflow the stack on it.
  if (depth > 200) return Infinity;
  weights.set(node, Infinity); // a cycle weighs Infinity
  let total = 2;
  if (Array.isArray(node)) {
    for (const item of node) {
      total += weigh(item, depth + 1) + 1;
      if (total > WEIGHT_CEILING) break;
    }
  } else {
    for (const [key, member] of Object.entries(node)) {
      total += key.length + 3 + weigh(member, depth + 1);
      if (total > WEIGHT_CEILING) break;
    }
  }
  const weight = total > WEIGHT_CEILING ? Infinity : total;
  weights.set(node, weight);
  return weight;
}
