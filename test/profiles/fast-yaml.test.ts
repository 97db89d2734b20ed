// The fast parser (js-yaml, engine/core/fast-yaml.ts) is trusted with a file only where it
// reads exactly what `yaml` reads: for every corpus, example and shipped file, thousands of
// mutants of them and the spellings on which YAML 1.1 and 1.2 or the two libraries differ,
// either it declines the file or `yaml` reads the same data with no issue at all and puts
// `name` at the same line and column.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import { validationContext } from '../../engine/profiles/load-profiles.js';
import { fastYaml } from '../../engine/core/fast-yaml.js';
import { validateProfileText } from '../../engine/profiles/validate-profile.js';
import { documentData, parseYamlSource, positionOf } from '../../engine/core/yaml-source.js';
import { ROOT } from '../paths.js';
import { MUTATIONS, random } from '../profile-mutants.js';

/** Every YAML file under a folder, recursively. */
function yamlFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const full = path.join(folder, name);
    if (statSync(full).isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(name) ? [full] : [];
  });
}

const CORPUS = [
  ...[
    'profiles',
    'examples',
    path.join('test', 'profiles'),
    path.join('test', 'engine-test-cases'),
    path.join('test', 'home-assistant'),
  ].flatMap((folder) => yamlFiles(path.join(ROOT, folder))),
].map((file) => ({ file, text: readFileSync(file, 'utf8') }));

/**
 * Scalars read differently by YAML 1.1 (js-yaml's default schema once), by js-yaml's core
 * schema and by `yaml`'s: booleans and nulls of 1.1, octal and binary, underscores, signs,
 * timestamps, sexagesimals, special floats, merge keys, large and tiny numbers.
 */
const EDGE_SCALARS = [
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'Yes',
  'NO',
  'True',
  'TRUE',
  'true',
  'false',
  'False',
  'tRUE',
  '~',
  'null',
  'Null',
  'NULL',
  'nULL',
  '',
  '0o17',
  '0O17',
  '017',
  '0x1F',
  '0X1F',
  '-0x1F',
  '+0x1F',
  '1_000',
  '0b101',
  '-0b1',
  '+12',
  '-0',
  '+0',
  '00',
  '0403',
  '.5',
  '-.5',
  '+.5',
  '1.',
  '1.e3',
  '1e3',
  '1E+3',
  '-1e-3',
  '.inf',
  '-.Inf',
  '+.INF',
  '.NaN',
  '.nan',
  '.NAN',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '12:30:45',
  '190:20:30',
  '1:20',
  '0.1_2',
  '=',
  '<<',
  '9007199254740993',
  '0400000000000000000000',
  '1e400',
  '1e-400',
  '0x',
  '0o',
  '+',
  '-',
  '.',
  '"0x10"',
  "'yes'",
  '"\\t\\x41\\u00e9"',
  "'it''s'",
];

/** Whole documents around the places where parsers part ways. */
const EDGE_DOCUMENTS = [
  'name: a\n<<: { b: 1 }\n',
  'name: a\nbase: &b { c: 1 }\nother:\n  <<: *b\n',
  'name: a\r\ndetect: {}\r\n',
  '\uFEFFname: a\n',
  '"name": a\n',
  "'name': a\n",
  'name: "a\n  b"\n',
  'name: a\n  b\n',
  'name: >\n  folded\n  text\n',
  'name: |+\n  kept\n\n',
  'name: |-\n  stripped\n',
  'name: x # comment\nb: 1\n',
  '---\nname: x\n',
  'name: x\n...\n',
  'name: x\n---\n',
  'name: x\n---\nname: y\n',
  'name: [\n  a\n]\n',
  'name: a\nlist: [\n  a,\n  b\n  ]\n',
  'name: a\nmap: { a: 1,\n  b: 2 }\n',
  '? name\n: a\n',
  'name: a\n? [x]\n: b\n',
  'name: a\n1: b\n',
  'name: a\nnull: b\n',
  'name: a\n~: b\n',
  'name: a\ntrue: b\n',
  'name: a\n__proto__: { polluted: 1 }\n',
  'name: a\nname: b\n',
  'name: a\n"name": b\n',
  'name: a\nb:\n\t- c\n',
  'name: a\nb:\n  - c\n\t\n',
  `name: a\n${'k'.repeat(1100)}: b\n`,
  'name: !!str 1\n',
  'name: !custom a\n',
  '%YAML 1.1\n---\nname: yes\n',
  '%TAG ! tag:example.com,2000:\n---\nname: a\n',
  'name: &n a\nother: *n\n',
  '!custom\nname: a\n',
  '--- !!str\nname: a\n',
  '&root\nname: a\n',
  'name: a\nself: &s [1, *s]\n',
  'name: a\nb: c: d\n',
  'name: a\nb: [c, d\n',
  'name: a\nb: "unclosed\n',
  'name: a\n  b: c\n',
  'name:\n  - a\n',
  'name: { a: 1 }\n',
  'name:\n',
  'name: a\nempty: \nnested:\n  deeper:\n    deepest: [[[]]]\n',
  '- a\n- b\n',
  'just text\n',
  '',
  '# only a comment\n',
  'name: a\nb: "\\q"\n',
  'name: a\nb: @c\n',
  'name: a\nb: `c\n',
  'name: a\nb: %c\n',
  'name: a\nb: c #d\ne: f#g\n',
  'name: a\nb: "x" y\n',
  'name: a\nb: - c\n',
  'name: a\n- c\n',
  'name: é\nb: "\\u00e9"\n',
  'name: "\\U0001F600"\n',
  'name: a\rb: c\n',
  'name: a\u0085b: c\n',
  'name: a\u2028b: c\n',
  'name: a\u2029b: c\n',
  'name: a\nb: "x\u0007y"\n',
  'name: a\nb: x\u0000y\n',
  'name: a\nb: x\u001by\n',
  'name: a\nb: \ufeffx\n',
  `name: a\nb: ${'v'.repeat(2000)}\n`,
  `name: a\n"${'k'.repeat(1100)}": b\n`,
];

let trusted = 0;
let declined = 0;

/** Asserts that the fast parser declines `text` or reads it exactly as `yaml` does. */
function assertAgree(text: string, label: string): void {
  const fast = fastYaml(text);
  if (!fast) {
    declined++;
    return;
  }
  trusted++;
  const parsed = parseYamlSource('agree.yaml', text);
  assert.deepEqual(parsed.issues, [], `yaml reports issues where the fast parser is trusted: ${label}`);
  assert.ok(parsed.source, label);
  const read = documentData(parsed.source);
  assert.ok('data' in read, `yaml cannot read as data what the fast parser read: ${label}`);
  assert.deepStrictEqual(fast.data, read.data, `the parsers disagree about the data: ${label}`);
  if (typeof fast.data.name === 'string') assert.ok(fast.nameAt, `a string name without its position: ${label}`);
  if (fast.nameAt)
    assert.deepEqual(fast.nameAt, positionOf(parsed.source, ['name'], 'value'), `name position: ${label}`);
}

describe('the fast YAML parser', () => {
  test('agrees with yaml on every corpus, example and shipped file', () => {
    assert.ok(CORPUS.length > 150, `only ${CORPUS.length} files`);
    for (const { file, text } of CORPUS) assertAgree(text, path.relative(ROOT, file));
  });

  test('agrees with yaml on spellings that YAML 1.1, 1.2 and the two libraries read differently', () => {
    for (const scalar of EDGE_SCALARS) {
      for (const text of [
        `name: a\nvalue: ${scalar}\n`,
        `name: a\n${scalar}: value\n`,
        `name: a\nlist: [${scalar}, ${scalar}]\n`,
        `name: a\nlist:\n  - ${scalar}\n`,
        `name: ${scalar}\n`,
      ]) {
        assertAgree(text, JSON.stringify(text));
      }
    }
    for (const text of EDGE_DOCUMENTS) assertAgree(text, JSON.stringify(text));
  });

  test('agrees with yaml on 5,000 mutants of the corpus', () => {
    const seeds = CORPUS.map(({ text }) => text);
    const rng = random(20261130);
    for (let round = 0; round < 5000; round++) {
      const mutation = rng.below(MUTATIONS.length);
      const text = MUTATIONS[mutation]!(rng.pick(seeds), rng);
      assertAgree(text, `round ${round}, mutation ${mutation}:\n${text}`);
    }
  });

  test('is trusted with most files and declines the rest', () => {
    // Both ways must have been taken, or the comparisons above proved nothing.
    assert.ok(trusted > 3000, `trusted with only ${trusted} files`);
    assert.ok(declined > 1000, `declined only ${declined} files`);
  });

  test('a valid profile read on the fast path gives the same result as yaml', () => {
    const context = validationContext(builtInBackendNames());
    const good = CORPUS.filter(({ file }) => !/\.test\.ya?ml$/.test(file)).filter(
      ({ file }) =>
        file.startsWith(path.join(ROOT, 'profiles')) || file.startsWith(path.join(ROOT, 'test', 'profiles', 'good')),
    );
    let fastOnes = 0;
    for (const { file, text } of good) {
      if (fastYaml(text)) fastOnes++;
      const validated = validateProfileText(file, text, context);
      const parsed = parseYamlSource(file, text);
      const read = parsed.source ? documentData(parsed.source) : undefined;
      assert.ok(read && 'data' in read, file);
      assert.deepEqual(validated.issues, [], file);
      assert.deepStrictEqual(validated.profile, read.data, file);
      assert.deepEqual(validated.nameAt, positionOf(parsed.source!, ['name'], 'value'), file);
    }
    assert.ok(fastOnes >= good.length / 2, `only ${fastOnes} of ${good.length} good profiles on the fast path`);
  });
});
