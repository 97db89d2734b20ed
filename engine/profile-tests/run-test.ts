import type { Payload } from '../backends/backend.js';
import type { BackendDefinition } from '../backends/backend-definition.js';
import type { Facts } from '../core/facts.js';
import type { Candidate, ProbeVerdict, ProfileIndex } from '../match/matcher.js';
import { replyMatcher } from '../probe/probe-reply.js';
import type { HexBytes } from '../core/hex-bytes.js';
import type { LoadedProfile } from '../profiles/profile.js';
import { desiredState, type DeviceView } from '../reconcile/desired-state.js';
import { SOURCES, type SourceKind } from '../sources/index.js';
import { payloadDifferences, type PayloadDifference } from './payload-differences.js';
import { testSource, type LoadedTest, type TestFacts } from './profile-test.js';

/** What tests run against: every profile loaded, the backends they notify, the config's params. */
export interface TestContext {
  index: ProfileIndex;
  backends: ReadonlyMap<string, BackendDefinition>;
  params: Record<string, unknown>;
}

/** How one test went, with what is needed to explain a failure. */
export interface TestResult {
  test: LoadedTest;
  passed: boolean;
  /** What the test expects, in words: `no match`, `a match by gps-ublox`. */
  expected: string;
  /** The winning profile, if any. */
  winner?: string;
  candidates: Candidate[];
  payload?: Payload;
  /** Why the test failed, one sentence each; empty when it passed. */
  failures: string[];
  differences: PayloadDifference[];
}

/** The host a test's device is on unless its facts say otherwise: the same on every machine. */
export const TEST_HOST = { hostname: 'gateway', arch: 'x64' };
/** When a test's device appeared (`event.at`). */
export const TEST_TIME = '2026-01-01T00:00:00.000Z';

/** The facts a source would report, completed where the source derives one fact from another. */
function deviceFacts(facts: TestFacts): Facts {
  const device: Record<string, unknown> = {};
  for (const source of SOURCES) {
    const own = facts[source.kind as SourceKind];
    if (own) device[source.kind] = source.completeFacts ? source.completeFacts(own) : own;
  }
  return device as Facts;
}

const replyBytes = (reply: string | HexBytes) =>
  typeof reply === 'string' ? Buffer.from(reply, 'latin1') : Buffer.from(reply.hex.replace(/\s+/g, ''), 'hex');

/**
 * A profile's probe verdict given the test's reply: matched by its `expect`, or not. Without a
 * reply the device is silent, and every probe ends as the daemon's does then: no match.
 */
function probeVerdict(entry: LoadedProfile, reply: string | HexBytes | undefined): ProbeVerdict | undefined {
  const probe = entry.profile.detect.serial?.probe;
  if (!probe) return undefined;
  if (reply === undefined) return { reason: 'no reply (the test gives no `probe`)' };
  const facts = replyMatcher(probe.expect)(replyBytes(reply));
  return facts
    ? { facts }
    : {
        reason: `the reply ${JSON.stringify(replyBytes(reply).toString('latin1'))} does not match expect ${JSON.stringify(probe.expect)}`,
      };
}

const show = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value));

/** What the test expects, resolved: a match (by a given profile, if any) or none. */
function expectation(loaded: LoadedTest): {
  positive: boolean;
  wanted?: string;
  payload?: Record<string, unknown>;
  /** The profile a no-match test is written in: if an ignore profile, the device must be ignored. */
  within?: string;
} {
  const expect = loaded.test.expect;
  if (expect === 'no-match' || expect.match === false)
    return { positive: false, ...(loaded.defaultProfile ? { within: loaded.defaultProfile } : {}) };
  const wanted = expect.profile ?? loaded.defaultProfile;
  return { positive: true, ...(wanted ? { wanted } : {}), ...(expect.payload ? { payload: expect.payload } : {}) };
}

const isIgnoreProfile = (index: ProfileIndex, name: string) =>
  index.profiles.some((entry) => entry.profile.name === name && entry.profile.ignore);

/** Why a device's match fails the expectation, one sentence each, and the payload fields that differ. */
function judge(
  expected: ReturnType<typeof expectation>,
  view: DeviceView,
  index: ProfileIndex,
): { failures: string[]; differences: PayloadDifference[] } {
  const winner = view.match.winner?.profile.name;
  const { positive, wanted, within } = expected;
  const failures: string[] = [];
  let differences: PayloadDifference[] = [];
  if (!positive) {
    if (winner) failures.push(`expected no match, but ${winner} matched`);
    // In an ignore profile, `no-match` means "left alone": nothing matching is not enough.
    else if (within && !view.match.ignored && isIgnoreProfile(index, within))
      failures.push(`expected ${within} to leave the device alone, but no ignore rule holds for it`);
  } else if (!winner) {
    failures.push(`expected ${wanted ?? 'a profile'} to match, but nothing matched`);
  } else {
    if (wanted && winner !== wanted) failures.push(`expected ${wanted} to win, but ${winner} did`);
    if (expected.payload) differences = payloadDifferences(expected.payload, view.payload ?? {});
    for (const difference of differences)
      failures.push(
        `payload.${difference.path}: expected ${show(difference.expected)}, got ${show(difference.actual)}`,
      );
    for (const problem of view.problems) failures.push(`the engine would not send it: ${problem}`);
  }
  if (wanted && winner !== wanted && !view.match.candidates.some((candidate) => candidate.profile === wanted)) {
    const loaded = index.profiles.some((entry) => entry.profile.name === wanted);
    failures.push(
      loaded
        ? `${wanted} was not a candidate: its USB ids or path do not fit these facts`
        : `no profile named ${wanted} is loaded`,
    );
  }
  return { failures, differences };
}

/** Runs one test through the engine's own matching and mapping (what the daemon would do). */
export function runTest(loaded: LoadedTest, context: TestContext): TestResult {
  const { test } = loaded;
  const state = desiredState({
    index: context.index,
    devices: [
      { key: `test:${test.name}`, source: testSource(test.facts), facts: deviceFacts(test.facts), since: TEST_TIME },
    ],
    params: { ...context.params, ...test.facts.params },
    host: { ...TEST_HOST, ...test.facts.host },
    backends: context.backends,
    probed: (_key, entry) => probeVerdict(entry, test.probe),
  });
  const view = state.devices[0]!;
  const winner = view.match.winner?.profile.name;
  const expected = expectation(loaded);
  const { failures, differences } = judge(expected, view, context.index);
  return {
    test: loaded,
    passed: failures.length === 0,
    expected: expected.positive ? (expected.wanted ? `a match by ${expected.wanted}` : 'a match') : 'no match',
    ...(winner ? { winner } : {}),
    candidates: view.match.candidates,
    ...(view.payload ? { payload: view.payload } : {}),
    failures,
    differences,
  };
}
