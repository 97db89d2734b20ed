import type { HexBytes } from '../core/hex-bytes.js';
import { owningSource, type SourceKind } from '../sources/index.js';

/** The facts a test gives: what the sources would report for the device, plus `params` and `host`. */
export type TestFacts = { [Kind in SourceKind]?: Record<string, unknown> } & {
  params?: Record<string, unknown>;
  host?: { hostname?: string; arch?: string };
};

/** What a test expects: nothing matches, or a match (by a given profile, with a payload). */
export type TestExpectation = 'no-match' | { match?: boolean; profile?: string; payload?: Record<string, unknown> };

/**
 * One example written inside a profile (`tests:`) or in a `*.test.yaml` file beside it: facts in,
 * the expected winner and payload (or no match) out.
 */
export interface ProfileTest {
  name: string;
  facts: TestFacts;
  /** The device's reply to a serial probe; absent: the device does not answer, so no profile with a probe matches. */
  probe?: string | HexBytes;
  expect: TestExpectation;
}

/** A test, where it is written, and the profile a positive expectation names by default. */
export interface LoadedTest {
  test: ProfileTest;
  file: string;
  line: number;
  col: number;
  /** The profile holding the test, or a test file's top-level `profile`. */
  defaultProfile?: string;
}

/** The source kind a test's device comes from: a tty if it has `serial`, else USB, else a path. */
export function testSource(facts: TestFacts): string {
  return owningSource((kind) => Boolean(facts[kind as SourceKind]));
}
