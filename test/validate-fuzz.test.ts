// Feeds the validator a few thousand mutated profiles (truncated, lines dropped or repeated,
// keys shuffled, values swapped for other types, random bytes) and checks that it never throws
// and always answers with well-formed, positioned issues.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseDocument, stringify } from 'yaml';
import { builtInBackendNames } from '../engine/backends/index.js';
import { ISSUE_CODES } from '../engine/core/errors.js';
import { profileSchema } from '../engine/profiles/profile-schema.js';
import { validateProfileText } from '../engine/profiles/validate-profile.js';
import { ROOT } from './paths.js';

/** A small seeded generator (mulberry32), so that a failure can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, below: (n: number) => Math.floor(next() * n), pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]! };
}
type Random = ReturnType<typeof random>;

const REPLACEMENTS: unknown[] = [0, -1, 1027, 3.5, '', 'text', '0403', true, null, [], [1, 'a'], {}, { var: 'usb' }, { nope: 1 }];

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

const MUTATIONS: ((text: string, rng: Random) => string)[] = [
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
    return text.slice(0, at) + rng.pick(['{', '[', ': ', '\t', '"', "'", '&a', '*a', '!!int ', '---\n', '- ', '#', '%YAML 1.1\n']) + text.slice(at);
  },
  (text, rng) => stringify(mutateTree(parseDocument(text).toJS(), rng)),
  (text, rng) => text.replace(/^( +)/gm, (indent) => (rng.next() < 0.1 ? indent.slice(1) : indent)),
];

test('the validator survives 3,000 mutated profiles with positioned issues', () => {
  const folders = [path.join(ROOT, 'profiles'), path.join(ROOT, 'test', 'profiles', 'good')];
  const seeds = folders.flatMap((folder) =>
    readdirSync(folder)
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => readFileSync(path.join(folder, name), 'utf8')),
  );
  assert.ok(seeds.length >= 8);
  const backends = builtInBackendNames();
  const context = { backends, schema: profileSchema(backends) };
  const rng = random(20261122);
  let withIssues = 0;
  for (let round = 0; round < 3000; round++) {
    const seed = rng.pick(seeds);
    const mutation = rng.below(MUTATIONS.length);
    const text = MUTATIONS[mutation]!(seed, rng);
    const label = `round ${round}, mutation ${mutation}:\n${text}`;
    const result = validateProfileText('mutant.yaml', text, context);
    const lineCount = text.split('\n').length;
    for (const issue of result.issues) {
      assert.ok(issue.code in ISSUE_CODES, `unknown code ${issue.code} in ${label}`);
      assert.ok(issue.severity === 'error' || issue.severity === 'warning', label);
      assert.ok(Number.isInteger(issue.line) && issue.line >= 1 && issue.line <= lineCount + 1, `line ${issue.line} in ${label}`);
      assert.ok(Number.isInteger(issue.col) && issue.col >= 1, `col ${issue.col} in ${label}`);
      assert.equal(typeof issue.message, 'string');
      assert.ok(issue.message.length > 0, label);
    }
    const errors = result.issues.filter((issue) => issue.severity === 'error');
    assert.equal(result.profile === undefined, errors.length > 0, `profile returned despite errors, or withheld without one: ${label}`);
    if (result.issues.length > 0) withIssues++;
  }
  // The mutations must actually break profiles, or this test checks nothing.
  assert.ok(withIssues > 1500, `only ${withIssues} of 3000 mutants had issues`);
});
