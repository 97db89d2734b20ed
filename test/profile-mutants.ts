// Mutated profiles for the fuzz tests: truncated, lines dropped or repeated, keys shuffled,
// values swapped for other types, random bytes, YAML punctuation inserted, indents shortened.
import { parseDocument, stringify } from 'yaml';

/** A small seeded generator (mulberry32), so that a failure can be replayed. */
export function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    below: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!,
  };
}
export type Random = ReturnType<typeof random>;

const REPLACEMENTS: unknown[] = [
  0,
  -1,
  1027,
  3.5,
  '',
  'text',
  '0403',
  true,
  null,
  [],
  [1, 'a'],
  {},
  { var: 'usb' },
  { nope: 1 },
];

function mutateTree(value: unknown, rng: Random): unknown {
  if (rng.next() < 0.08) return rng.pick(REPLACEMENTS);
  if (Array.isArray(value)) return value.map((item) => mutateTree(item, rng));
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).map(([key, member]) => [key, mutateTree(member, rng)] as const);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return Object.fromEntries(entries);
  }
  return value;
}

export const MUTATIONS: ((text: string, rng: Random) => string)[] = [
  (text, rng) => text.slice(0, rng.below(text.length)),
  (text, rng) => {
    const lines = text.split('\n');
    lines.splice(rng.below(lines.length), 1);
    return lines.join('\n');
  },
  (text, rng) => {
    const lines = text.split('\n');
    const at = rng.below(lines.length);
    lines.splice(at, 0, lines[at]!);
    return lines.join('\n');
  },
  (text, rng) => {
    const bytes = Buffer.from(text);
    for (let i = 0; i < 1 + rng.below(8); i++) bytes[rng.below(bytes.length)] = rng.below(256);
    return bytes.toString('utf8');
  },
  (text, rng) => {
    const at = rng.below(text.length);
    return (
      text.slice(0, at) +
      rng.pick(['{', '[', ': ', '\t', '"', "'", '&a', '*a', '!!int ', '---\n', '- ', '#', '%YAML 1.1\n']) +
      text.slice(at)
    );
  },
  (text, rng) => stringify(mutateTree(parseDocument(text).toJS(), rng)),
  (text, rng) => text.replace(/^( +)/gm, (indent) => (rng.next() < 0.1 ? indent.slice(1) : indent)),
];
