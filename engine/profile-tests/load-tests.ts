import { readFile } from 'node:fs/promises';
import { compareIssues, type ProfileIssue } from '../core/errors.js';
import { expandPaths, findTestFiles, isTestFile } from '../profiles/load-profiles.js';
import { schemaIssues } from '../core/schema-issues.js';
import type { ValidatedFile } from '../profiles/validate-profile.js';
import { documentData, issueAt, parseYamlSource, positionOf, type YamlSource } from '../core/yaml-source.js';
import { checkTestList } from './check-tests.js';
import type { LoadedTest, ProfileTest } from './profile-test.js';
import { testFileSchema } from './test-schema.js';

/** A checked test file: its tests when it has no error, and every issue found. */
export interface ValidatedTestFile {
  file: string;
  text: string;
  tests: LoadedTest[];
  issues: ProfileIssue[];
}

const schema = testFileSchema();

/** Each test of a list, positioned on its list item. */
function positioned(
  source: YamlSource,
  tests: readonly ProfileTest[],
  defaultProfile: string | undefined,
): LoadedTest[] {
  return tests.map((test, index) => ({
    test,
    file: source.file,
    ...positionOf(source, ['tests', index]),
    ...(defaultProfile ? { defaultProfile } : {}),
  }));
}

/** Checks one test file's text. Never throws; every problem comes back positioned. */
export function validateTestFileText(file: string, text: string): ValidatedTestFile {
  const parsed = parseYamlSource(file, text);
  if (!parsed.source) return { file, text, tests: [], issues: parsed.issues };
  const source = parsed.source;
  const issues = [...parsed.issues];
  const read = documentData(source);
  if ('issue' in read) {
    issues.push(read.issue);
    return { file, text, tests: [], issues };
  }
  const data = read.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    issues.push(issueAt(source, [], 'value', 'error', 'wrong-type', 'a test file is a mapping with a `tests` list'));
    return { file, text, tests: [], issues };
  }
  const checked = checkTestList(source, (data as { tests?: unknown }).tests, ['tests']);
  issues.push(...checked.issues, ...schemaIssues(source, data, schema, checked.covered));
  if (issues.some((issue) => issue.severity === 'error'))
    return { file, text, tests: [], issues: issues.sort(compareIssues) };
  const { tests, profile } = data as { tests: ProfileTest[]; profile?: string };
  return { file, text, tests: positioned(source, tests, profile), issues: issues.sort(compareIssues) };
}

/** The tests written inside a valid profile; a positive expectation names that profile by default. */
export function testsOfProfile(validated: ValidatedFile): LoadedTest[] {
  if (!validated.profile?.tests || !validated.source) return [];
  return positioned(validated.source, validated.profile.tests, validated.profile.name);
}

/** Finds and checks the test files under `paths` (folders searched for `*.test.yaml`, `*.test.yml`). */
export async function loadTestFiles(
  paths: readonly string[],
): Promise<{ files: ValidatedTestFile[]; issues: ProfileIssue[] }> {
  const expanded = await expandPaths(paths, findTestFiles, isTestFile);
  const files: ValidatedTestFile[] = [];
  const issues = [...expanded.issues];
  for (const file of expanded.files) {
    try {
      files.push(validateTestFileText(file, await readFile(file, 'utf8')));
    } catch (error) {
      issues.push({ severity: 'error', code: 'read-error', file, line: 1, col: 1, message: (error as Error).message });
    }
  }
  return { files, issues: [...issues, ...files.flatMap((file) => file.issues)].sort(compareIssues) };
}
