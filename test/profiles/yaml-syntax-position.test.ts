// An unclosed bracket or quote is reported where it opens, not where the parser gave up (the
// end of the file, or the next key at a lower indentation).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseYamlSource } from '../../engine/core/yaml-source.js';

const positions = (text: string) =>
  parseYamlSource('p.yaml', text)
    .issues.map((issue) => `${issue.code} ${issue.line}:${issue.col}`)
    .sort();

test('an unclosed [ or { is reported at the bracket', () => {
  assert.deepEqual(positions('name: [unclosed\nmap: {}\nnotify: []\n'), ['yaml-syntax 1:7']);
  assert.deepEqual(positions('name: x\ndetect:\n  when: { "==": [1, 2 }\n\n\nmap: {}\n'), [
    'yaml-syntax 3:17',
    'yaml-syntax 3:9',
  ]);
});

test('an unclosed quote is reported at the quote, and its collections at their brackets, once each', () => {
  assert.deepEqual(positions('name: x\ndetect: { file: { path: "/dev/x }\nmap: {}\n'), [
    'yaml-syntax 2:17',
    'yaml-syntax 2:25',
  ]);
  assert.deepEqual(positions("name: 'it''s\nmap: {}\n"), ['yaml-syntax 1:7']);
});

test('other syntax errors keep their place; valid files have none', () => {
  assert.deepEqual(positions('name: x\nmap: { a: "ok", b: [1, 2] }\n'), []);
  assert.deepEqual(positions('a: 1\na: 2\n'), ['duplicate-key 2:1']);
});

test('thousands of unclosed brackets are issues, not a stack overflow', () => {
  const found = positions(`name: a\nmap: ${'['.repeat(5000)}\n`);
  assert.ok(found.length > 0 && found.every((entry) => entry.startsWith('yaml-syntax ')), found.slice(0, 3).join(', '));
});
