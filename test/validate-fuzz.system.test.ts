// Feeds the validator a few thousand mutated profiles (truncated, lines dropped or repeated,
// keys shuffled, values swapped for other types, random bytes) and checks that it never throws
// and always answers with well-formed, positioned issues.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { builtInBackendNames } from '../engine/backends/index.js';
import { ISSUE_CODES } from '../engine/core/errors.js';
import { profileSchema } from '../engine/profiles/profile-schema.js';
import { validateProfileText } from '../engine/profiles/validate-profile.js';
import { ROOT } from './paths.js';
import { MUTATIONS, random } from './profile-mutants.js';

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
      assert.ok(
        Number.isInteger(issue.line) && issue.line >= 1 && issue.line <= lineCount + 1,
        `line ${issue.line} in ${label}`,
      );
      assert.ok(Number.isInteger(issue.col) && issue.col >= 1, `col ${issue.col} in ${label}`);
      assert.equal(typeof issue.message, 'string');
      assert.ok(issue.message.length > 0, label);
    }
    const errors = result.issues.filter((issue) => issue.severity === 'error');
    assert.equal(
      result.profile === undefined,
      errors.length > 0,
      `profile returned despite errors, or withheld without one: ${label}`,
    );
    if (result.issues.length > 0) withIssues++;
  }
  // The mutations must actually break profiles, or this test checks nothing.
  assert.ok(withIssues > 1500, `only ${withIssues} of 3000 mutants had issues`);
});
