import type { Facts } from '../core/facts.js';
import { whenHolds } from '../map/map-payload.js';
import type { ProbeFacts } from '../probe/probe-reply.js';
import type { LoadedProfile } from '../profiles/profile.js';
import { ignoredText, type IgnoredBy } from './ignored-by.js';
import { detectMismatch, isCatchAll, primarySource, specificity } from './detect-checks.js';

/** How one profile fared against one device. */
export interface Candidate {
  profile: string;
  file: string;
  matched: boolean;
  /** Why it did not match, or why it lost to the winner. */
  reason?: string;
}

/** The result of matching one device: the winning profile, if any, and every candidate. */
export interface MatchResult {
  winner?: LoadedProfile;
  /** Set when an ignore rule matched: then there is no winner, and nothing is probed. */
  ignored?: IgnoredBy;
  /** What the winner's probe learned, when it has one. */
  probe?: ProbeFacts;
  /** Whether some profile's probe has yet to run (or to run again): the match may still change. */
  probing?: boolean;
  candidates: Candidate[];
  /** Profiles whose `when` could not be evaluated on this device, with the error. */
  problems?: string[];
}

/**
 * How a profile's serial probe went on a port: what it learned, or why it did not match
 * (`pending` when it will be tried again, e.g. the port was busy).
 */
export type ProbeVerdict = { facts: ProbeFacts } | { reason: string; pending?: boolean };

/** The probe verdict for a profile on the device being matched; undefined while not probed. */
export type ProbeLookup = (entry: LoadedProfile) => ProbeVerdict | undefined;

const usbKeys = (entry: LoadedProfile): string[] | undefined => {
  const usb = entry.profile.detect.usb;
  if (!usb?.vendorId || !usb.productId) return undefined;
  const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]).map((item) => item.toLowerCase());
  return list(usb.vendorId).flatMap((vendor) => list(usb.productId!).map((product) => `${vendor}:${product}`));
};

const WHEN_FAILED = '`when` could not be evaluated';

/**
 * Why a profile's `when` rejects these facts: undefined when it holds. An expression that
 * cannot be evaluated on them (e.g. `missing_some` given null) rejects the device with the
 * error as the reason, shown like any other candidate's, instead of throwing out of matching.
 */
function whenRejection(entry: LoadedProfile, facts: Facts): string | undefined {
  try {
    return whenHolds(entry.profile, facts) ? undefined : '`when` is false';
  } catch (error) {
    return `${WHEN_FAILED}: ${(error as Error).message}`;
  }
}

/** Adds to a list in place: copying it for each entry made an index of n profiles cost n². */
function addTo(lists: Map<string, LoadedProfile[]>, key: string, entry: LoadedProfile): void {
  const list = lists.get(key);
  if (list) list.push(entry);
  else lists.set(key, [entry]);
}

const hasGlob = (pattern: string) => /[*?[\]{}()!+@\\]/.test(pattern);

/**
 * Profiles indexed so that a device is checked only against profiles that could match it: by
 * source kind, then by `vendor:product` or exact path; the rest are scanned.
 */
export class ProfileIndex {
  private readonly byKey = new Map<string, LoadedProfile[]>();
  private readonly scanned = new Map<string, LoadedProfile[]>();
  /** Ignore profiles and config rules, checked on every device first: there are few. */
  private readonly ignores: LoadedProfile[];

  constructor(
    readonly profiles: readonly LoadedProfile[],
    /** The engine config's ignore rules (LoadedProfile.configRule); they go before the ignore profiles. */
    readonly ignoreRules: readonly LoadedProfile[] = [],
  ) {
    this.ignores = [...ignoreRules, ...profiles.filter((entry) => entry.profile.ignore)];
    for (const entry of profiles) {
      if (entry.profile.ignore) continue;
      const source = primarySource(entry.profile.detect);
      const filePath = entry.profile.detect.file?.path;
      const keys =
        source === 'file' && filePath && !hasGlob(filePath)
          ? [`file:${filePath}`]
          : usbKeys(entry)?.map((key) => `${source}:${key}`);
      if (keys) for (const key of new Set(keys)) addTo(this.byKey, key, entry);
      else addTo(this.scanned, source, entry);
    }
  }

  /** Profiles that may match a device of this source with these facts. */
  candidatesFor(source: string, facts: Facts): LoadedProfile[] {
    const key = facts.usb
      ? `${source}:${facts.usb.vendorId}:${facts.usb.productId}`
      : facts.file
        ? `file:${facts.file.path}`
        : undefined;
    return [...(key ? (this.byKey.get(key) ?? []) : []), ...(this.scanned.get(source) ?? [])];
  }

  /**
   * The first ignore rule (config rules, then ignore profiles) whose detect holds for these facts,
   * whatever the source: a rule on a USB device's ids also covers its ttys, whose facts carry it.
   * A `when` that cannot be evaluated does not ignore.
   */
  ignoredBy(facts: Facts): IgnoredBy | undefined {
    const entry = this.ignores.find(
      (rule) => !detectMismatch(rule.profile.detect, facts) && !whenRejection(rule, facts),
    );
    if (!entry) return undefined;
    const { name, description } = entry.profile;
    return {
      name,
      file: entry.file,
      kind: entry.configRule ? 'config-rule' : 'profile',
      ...(description ? { reason: description } : {}),
    };
  }
}

/** Orders matched profiles: catch-alls last, most specific first, then higher priority, then name. */
function precedence(a: LoadedProfile, b: LoadedProfile): number {
  return (
    Number(isCatchAll(a.profile.detect)) - Number(isCatchAll(b.profile.detect)) ||
    specificity(b.profile.detect) - specificity(a.profile.detect) ||
    (b.profile.priority ?? 0) - (a.profile.priority ?? 0) ||
    a.profile.name.localeCompare(b.profile.name)
  );
}

/**
 * The profiles that want to probe this device: those with a serial probe whose other detect
 * blocks (USB parent, path, interface) already hold, in precedence order. `when` is left for
 * after the probe, since it may read `probe.*`. A probe that could not win is not run: profiles
 * ranked below one that already matches without a probe are left out, so a device that a
 * profile recognises by its ids and strings is not written to on behalf of generic ones.
 */
export function probeCandidates(index: ProfileIndex, source: string, facts: Facts): LoadedProfile[] {
  // An ignored port is never opened, whatever wants to probe it.
  if (index.ignoredBy(facts)) return [];
  const holding = index.candidatesFor(source, facts).filter((entry) => !detectMismatch(entry.profile.detect, facts));
  const settled = holding
    .filter((entry) => !entry.profile.detect.serial?.probe && !whenRejection(entry, facts))
    .sort(precedence)[0];
  return holding
    .filter((entry) => entry.profile.detect.serial?.probe && (!settled || precedence(entry, settled) < 0))
    .sort(precedence);
}

/**
 * Matches one device against the profiles. `probe` gives, for profiles with a serial probe,
 * the verdict of their probe on this device; a profile whose probe has not run does not match.
 * A profile's `when` sees its own probe's facts.
 */
export function matchDevice(
  index: ProfileIndex,
  source: string,
  facts: Facts,
  probe: ProbeLookup = () => undefined,
): MatchResult {
  const ignored = index.ignoredBy(facts);
  if (ignored) {
    // Before any probe verdict is asked for: the others are listed, none is tried.
    const reason = ignoredText(ignored);
    const candidates = index
      .candidatesFor(source, facts)
      .map(({ profile, file }) => ({ profile: profile.name, file, matched: false, reason }));
    return { ignored, candidates };
  }
  const candidates: Candidate[] = [];
  const matched: { entry: LoadedProfile; probe?: ProbeFacts }[] = [];
  let probing = false;
  const unprobed: LoadedProfile[] = [];
  const problems: string[] = [];
  for (const entry of index.candidatesFor(source, facts)) {
    const { profile, file } = entry;
    let reason = detectMismatch(profile.detect, facts);
    let probeFacts: ProbeFacts | undefined;
    if (!reason && profile.detect.serial?.probe) {
      const verdict = probe(entry);
      if (!verdict || ('reason' in verdict && verdict.pending)) probing = true;
      if (!verdict) unprobed.push(entry);
      if (!verdict) reason = 'the serial probe has not confirmed the device';
      else if ('reason' in verdict) reason = `serial probe: ${verdict.reason}`;
      else probeFacts = verdict.facts;
    }
    if (!reason) reason = whenRejection(entry, probeFacts ? { ...facts, probe: probeFacts } : facts);
    if (reason?.startsWith(WHEN_FAILED)) problems.push(`profile ${profile.name}: ${reason}`);
    if (reason) candidates.push({ profile: profile.name, file, matched: false, reason });
    else matched.push({ entry, ...(probeFacts ? { probe: probeFacts } : {}) });
  }
  matched.sort((a, b) => precedence(a.entry, b.entry));
  const [first, ...losers] = matched;
  const pending = { ...(probing ? { probing } : {}), ...(problems.length ? { problems } : {}) };
  if (!first) return { candidates, ...pending };
  // A profile that would take precedence has not probed yet: wait for it rather than hand the
  // device to this one and take it back a moment later.
  const ahead = unprobed.find((entry) => precedence(entry, first.entry) < 0);
  if (ahead) {
    const waiting = `waiting for the serial probe of ${ahead.profile.name}, which takes precedence`;
    return {
      candidates: [
        ...candidates,
        ...matched.map(({ entry }) => ({
          profile: entry.profile.name,
          file: entry.file,
          matched: false,
          reason: waiting,
        })),
      ],
      ...pending,
    };
  }
  const winner = first.entry;
  candidates.unshift({ profile: winner.profile.name, file: winner.file, matched: true });
  for (const { entry } of losers)
    candidates.push({
      profile: entry.profile.name,
      file: entry.file,
      matched: true,
      reason: `${winner.profile.name} takes precedence (more specific, higher priority, or name order)`,
    });
  return { winner, ...(first.probe ? { probe: first.probe } : {}), candidates, ...pending };
}
