// Runs every regression case of `engine test`: test/engine-test-cases/<case>/ holds a profiles/
// folder (profiles and test files), optionally an engine.yaml, and expected.txt: `# exit: N`,
// `# args: ...` (default `profiles`), and lines that must begin output lines, in that order.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { findProfileFiles, findTestFiles, loadProfiles } from '../engine/profiles/load-profiles.js';
import { builtInBackendNames } from '../engine/backends/index.js';
import { ROOT, runCli } from './paths.js';

const CASES = path.join(ROOT, 'test', 'engine-test-cases');

interface Expectation {
  args: string[];
  exit: number;
  lines: string[];
}

function expectation(caseDir: string): Expectation {
  const text = readFileSync(path.join(caseDir, 'expected.txt'), 'utf8');
  const result: Expectation = { args: ['profiles'], exit: -1, lines: [] };
  for (const line of text.split('\n')) {
    const directive = /^#\s*(exit|args):\s*(.*)$/.exec(line);
    if (directive?.[1] === 'exit') result.exit = Number(directive[2]);
    else if (directive?.[1] === 'args') result.args = directive[2]!.trim().split(/\s+/);
    else if (line.trim() !== '' && !line.startsWith('#')) result.lines.push(line);
  }
  return result;
}

/** The expected lines that do not begin an output line, in order after the previous one found. */
function missingLines(expected: readonly string[], output: readonly string[]): string[] {
  const missing: string[] = [];
  let from = 0;
  for (const line of expected) {
    const found = output.findIndex((candidate, index) => index >= from && candidate.startsWith(line));
    if (found === -1) missing.push(line);
    else from = found + 1;
  }
  return missing;
}

describe('engine test regression cases', () => {
  const cases = readdirSync(CASES).sort();
  test('there are passing and failing cases', () => assert.ok(cases.length >= 6));
  for (const name of cases) {
    test(name, () => {
      const caseDir = path.join(CASES, name);
      const expected = expectation(caseDir);
      assert.notEqual(expected.exit, -1, `${name}/expected.txt has no # exit: line`);
      const env = { ...process.env };
      delete env.TEST_SITE_FOR_ENGINE_TEST;
      const result = runCli(['test', ...expected.args], { cwd: caseDir, env });
      const output = result.stdout.split('\n');
      assert.deepEqual(missingLines(expected.lines, output), [], `output was:\n${result.stdout}${result.stderr}`);
      assert.equal(result.status, expected.exit, result.stdout + result.stderr);
      assert.match(output.filter((line) => line !== '').at(-1)!, /^\d+ passed, \d+ failed \(/);
    });
  }
});

describe('engine test', () => {
  test('a test file named alone runs against the profiles of its folder', () => {
    const result = runCli(['test', 'profiles/camera.test.yaml'], {
      cwd: path.join(CASES, 'pass-in-profile-and-beside'),
    });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^PASS profiles\/camera\.test\.yaml:3:5 a second camera$/m);
    assert.doesNotMatch(result.stdout, /camera\.yaml:/, "the profile's own tests are not asked for");
    assert.match(result.stdout, /^1 passed, 0 failed/m);
  });

  test('a profile named alone brings the test file beside it', () => {
    const result = runCli(['test', 'profiles/stick.yaml'], { cwd: path.join(CASES, 'probe-replies') });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^PASS profiles\/stick\.test\.yaml:3:5 /m);
    assert.match(result.stdout, /^3 passed, 0 failed \(3 tests in 2 files\)$/m);
  });

  test('--format json: counts, untested profiles and each test with its position', () => {
    const result = runCli(['test', 'profiles', '--format', 'json'], { cwd: path.join(CASES, 'fail-explained') });
    assert.equal(result.status, 1);
    const report = JSON.parse(result.stdout) as {
      passed: number;
      failed: number;
      untested: string[];
      tests: Record<string, unknown>[];
    };
    assert.deepEqual([report.passed, report.failed, report.untested], [1, 6, ['any-acm']]);
    const first = report.tests[0]!;
    assert.deepEqual(
      [first.file, first.line, first.col, first.passed, first.winner],
      ['profiles/gps.test.yaml', 3, 5, false, 'gps'],
    );
    assert.ok((first.failures as string[]).length === 4);
  });

  test('--format github: one annotation per failed test', () => {
    const result = runCli(['test', 'profiles', '--format', 'github'], { cwd: path.join(CASES, 'fail-explained') });
    assert.equal(result.status, 1);
    const annotations = result.stdout.split('\n').filter((line) => line.startsWith('::error '));
    assert.equal(annotations.length, 6);
    assert.match(
      annotations[0]!,
      /^::error file=profiles\/gps\.test\.yaml,line=3,col=5,title=engine test::payload fields differ: /,
    );
  });

  test('engine schema --tests prints exactly the committed schemas/profile-tests.schema.json', () => {
    const result = runCli(['schema', '--tests']);
    assert.equal(result.status, 0);
    assert.deepEqual(
      JSON.parse(result.stdout),
      JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'profile-tests.schema.json'), 'utf8')),
    );
  });

  test('usage errors exit 2', () => {
    for (const args of [
      ['test', '--format', 'xml'],
      ['test', '/no/such/folder'],
      ['test', '--frobnicate'],
      ['test', '--config', '/no/such.yaml'],
    ]) {
      const result = runCli(args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^engine: /);
    }
  });

  test('engine validate checks test files too, with positions; the loaders skip them as profiles', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'engine-test-files-'));
    writeFileSync(
      path.join(folder, 'p.yaml'),
      'name: p\ndetect: { file: { path: /dev/p } }\nmap: { classes: [x] }\nnotify: [{ backend: stdout }]\n',
    );
    writeFileSync(
      path.join(folder, 'p.test.yml'),
      'tests:\n  - name: t\n    facts: { file: { path: /dev/p, colour: red } }\n    expect: no-match\n',
    );
    const result = runCli(['validate', folder]);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /p\.test\.yml:3:36 error unknown-key/);
    assert.match(result.stdout, /^2 files checked: 1 error, 0 warnings$/m);
    assert.deepEqual(
      (await findProfileFiles(folder)).map((file) => path.basename(file)),
      ['p.yaml'],
    );
    assert.deepEqual(
      (await findTestFiles(folder)).map((file) => path.basename(file)),
      ['p.test.yml'],
    );
    const named = await loadProfiles([path.join(folder, 'p.test.yml')], builtInBackendNames());
    assert.deepEqual([named.files.length, named.issues.length], [0, 0]);
  });
});
