import { existsSync } from 'node:fs';
import path from 'node:path';
import { backendNamesOf, type EngineConfig } from '../config/load-config.js';
import { compareIssues, type ProfileIssue } from '../core/errors.js';
import { ProfileIndex } from '../match/matcher.js';
import {
  expandPaths,
  isTestFile,
  loadProfileLayers,
  loadProfiles,
  type ProfileSet,
} from '../profiles/load-profiles.js';
import { loadTestFiles, testsOfProfile, type ValidatedTestFile } from './load-tests.js';
import type { LoadedTest } from './profile-test.js';
import type { LoadedProfile } from '../profiles/profile.js';
import { runTest, type TestResult } from './run-test.js';

/** Everything `engine test` found and ran. */
export interface TestSuiteReport {
  /** Profile and test files read. */
  filesChecked: number;
  /** Problems in those files; tests in a file with an error do not run. */
  issues: ProfileIssue[];
  texts: ReadonlyMap<string, string>;
  results: TestResult[];
  /** Profiles under the given paths that no test expects to match. */
  untested: string[];
}

/**
 * The profiles the tests run against: those under `paths`, and for a test file named on its
 * own, those in the folder that holds it (so that `engine test profiles/<name>.test.yaml` works).
 * A profile file named on its own brings its `x.test.yaml` along.
 */
function profilePaths(paths: readonly string[]): string[] {
  return [...new Set([...paths, ...paths.filter(isTestFile).map((file) => path.dirname(file))])];
}

/** The test files under `paths`, and for a profile file named on its own, the test file beside it. */
function testPaths(paths: readonly string[]): string[] {
  const beside = paths
    .filter((file) => /\.ya?ml$/i.test(file) && !isTestFile(file))
    .flatMap((file) => ['.test.yaml', '.test.yml'].map((suffix) => file.replace(/\.ya?ml$/i, suffix)))
    .filter((file) => existsSync(file));
  return [...new Set([...paths, ...beside])];
}

/** The name, when it is an ignore profile's. */
const ignoreProfileOf = (profiles: readonly LoadedProfile[], name: string) =>
  profiles.some((entry) => entry.profile.name === name && entry.profile.ignore) ? name : undefined;

/** The profile a test expects to win, if it names one (itself or by default). */
function wantedProfile(test: LoadedTest): string | undefined {
  const expect = test.test.expect;
  if (expect === 'no-match' || expect.match === false) return undefined;
  return expect.profile ?? test.defaultProfile;
}

/** Loads the profiles and tests under `paths` and runs every test against all the profiles. */
export async function runTestSuite(given: readonly string[], config: EngineConfig): Promise<TestSuiteReport> {
  const paths = given.map((entry) => path.normalize(entry));
  const set = await loadProfiles(profilePaths(paths), backendNamesOf(config));
  const testFiles = await loadTestFiles(testPaths(paths));
  return runLoaded(set, testFiles, new Set((await expandPaths(paths)).files), config);
}

/**
 * Loads layered profiles folders (earliest first, see profile-layers.ts) and runs the tests
 * of the profiles in use against them: those written inside them and the test files of every
 * folder, but for a test file beside a profile file that a later folder replaces or masks (its
 * tests are about a profile no longer used; the later folder brings its own).
 */
export async function runLayeredTestSuite(folders: readonly string[], config: EngineConfig): Promise<TestSuiteReport> {
  const set = await loadProfileLayers(
    folders.map((folder) => [folder]),
    backendNamesOf(config),
  );
  const replaced = new Set(set.replaced.map((entry) => entry.file.replace(/\.ya?ml$/i, '')));
  const testFiles = await loadTestFiles(folders);
  testFiles.files = testFiles.files.filter((file) => !replaced.has(file.file.replace(/\.test\.ya?ml$/i, '')));
  return runLoaded(set, testFiles, new Set(set.profiles.map((entry) => entry.file)), config);
}

/** Runs the tests of the `named` profile files and of the test files against the profiles in use. */
function runLoaded(
  set: ProfileSet,
  testFiles: { files: ValidatedTestFile[]; issues: ProfileIssue[] },
  named: ReadonlySet<string>,
  config: EngineConfig,
): TestSuiteReport {
  const backends = backendNamesOf(config);
  const tests = [
    ...set.files.filter((file) => named.has(file.file)).flatMap(testsOfProfile),
    ...testFiles.files.flatMap((file) => file.tests),
  ].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  const context = { index: new ProfileIndex(set.profiles, config.ignore), backends, params: config.params };
  const results = tests.map((test) => runTest(test, context));
  const covered = new Set(tests.map(wantedProfile));
  // An ignore profile's own tests expect no match, and check that it leaves the device alone.
  for (const test of tests) if (test.defaultProfile) covered.add(ignoreProfileOf(set.profiles, test.defaultProfile));
  const untested = set.profiles
    .filter((entry) => named.has(entry.file) && !covered.has(entry.profile.name))
    .map((entry) => entry.profile.name);
  const texts = new Map([...set.files, ...testFiles.files].map((file) => [file.file, file.text]));
  return {
    filesChecked: set.files.length + testFiles.files.length,
    issues: [...set.issues, ...testFiles.issues].sort(compareIssues),
    texts,
    results,
    untested: untested.sort(),
  };
}
