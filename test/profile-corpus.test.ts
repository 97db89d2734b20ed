// Runs every case of the profile corpus: test/profiles/bad/<case>.yaml (or a folder <case>/ for
// problems that span files) declares the issues it must produce in `# expect:` lines, as
// `# expect: <severity> <code> <line>:<col>` (in a folder, `<file> ` comes first);
// test/profiles/good/ must produce none at all.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { builtInBackendNames } from '../engine/backends/index.js';
import { loadProfiles } from '../engine/profiles/load-profiles.js';
import { ROOT } from './paths.js';

const BAD = path.join(ROOT, 'test', 'profiles', 'bad');
const GOOD = path.join(ROOT, 'test', 'profiles', 'good');
const EXPECT = /^#\s*expect:\s*(?:(\S+\.ya?ml)\s+)?(error|warning)\s+([a-z-]+)\s+(\d+):(\d+)\s*$/;

function expectations(casePath: string): string[] {
  const files = statSync(casePath).isDirectory()
    ? readdirSync(casePath).map((name) => path.join(casePath, name))
    : [casePath];
  const expected: string[] = [];
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = EXPECT.exec(line);
      if (!match) continue;
      const [, inFile, severity, code, row, col] = match;
      expected.push(`${inFile ?? path.basename(file)} ${severity} ${code} ${row}:${col}`);
    }
  }
  return expected.sort();
}

describe('bad profiles', () => {
  const cases = readdirSync(BAD).sort();
  test('the corpus holds at least 30 cases', () => assert.ok(cases.length >= 30, `only ${cases.length} cases`));
  for (const name of cases) {
    test(name, async () => {
      const casePath = path.join(BAD, name);
      const expected = expectations(casePath);
      assert.ok(expected.length > 0, `${name} declares no # expect: line`);
      const { issues } = await loadProfiles([casePath], builtInBackendNames());
      const actual = issues
        .map((issue) => `${path.basename(issue.file)} ${issue.severity} ${issue.code} ${issue.line}:${issue.col}`)
        .sort();
      assert.deepEqual(actual, expected);
    });
  }
});

describe('good profiles', () => {
  for (const folder of [GOOD, path.join(ROOT, 'profiles')]) {
    test(`${path.relative(ROOT, folder)} validates with no issue at all`, async () => {
      const { issues, profiles } = await loadProfiles([folder], builtInBackendNames());
      assert.deepEqual(issues, []);
      assert.ok(profiles.length > 0);
    });
  }
});
