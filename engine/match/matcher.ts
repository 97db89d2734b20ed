import type { Facts } from '../map/facts.js';
import { whenHolds } from '../map/map-payload.js';
import type { LoadedProfile } from '../profiles/profile.js';
import { detectMismatch, primarySource, specificity } from './detect-checks.js';

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
  candidates: Candidate[];
}

const usbKeys = (entry: LoadedProfile): string[] | undefined => {
  const usb = entry.profile.detect.usb;
  if (!usb?.vendorId || !usb.productId) return undefined;
  const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]).map((item) => item.toLowerCase());
  return list(usb.vendorId).flatMap((vendor) => list(usb.productId!).map((product) => `${vendor}:${product}`));
};

const hasGlob = (pattern: string) => /[*?[\]{}()!+@\\]/.test(pattern);

/**
 * Profiles indexed so that a device is checked only against profiles that could match it: by
 * source kind, then by `vendor:product` or exact path; the rest are scanned.
 */
export class ProfileIndex {
  private readonly byKey = new Map<string, LoadedProfile[]>();
  private readonly scanned = new Map<string, LoadedProfile[]>();

  constructor(readonly profiles: readonly LoadedProfile[]) {
    for (const entry of profiles) {
      const source = primarySource(entry.profile.detect);
      const filePath = entry.profile.detect.file?.path;
      const keys = source === 'file' && filePath && !hasGlob(filePath) ? [`file:${filePath}`] : usbKeys(entry)?.map((key) => `${source}:${key}`);
      if (keys) for (const key of new Set(keys)) this.byKey.set(key, [...(this.byKey.get(key) ?? []), entry]);
      else this.scanned.set(source, [...(this.scanned.get(source) ?? []), entry]);
    }
  }

  /** Profiles that may match a device of this source with these facts. */
  candidatesFor(source: string, facts: Facts): LoadedProfile[] {
    const key = facts.usb ? `${source}:${facts.usb.vendorId}:${facts.usb.productId}` : facts.file ? `file:${facts.file.path}` : undefined;
    return [...(key ? (this.byKey.get(key) ?? []) : []), ...(this.scanned.get(source) ?? [])];
  }

  /** Every file glob the profiles watch. */
  fileGlobs(): string[] {
    return [...new Set(this.profiles.flatMap((entry) => (entry.profile.detect.file ? [entry.profile.detect.file.path] : [])))];
  }
}

/** Orders matched profiles: most specific first, then higher priority, then name. */
function precedence(a: LoadedProfile, b: LoadedProfile): number {
  return (
    specificity(b.profile.detect) - specificity(a.profile.detect) ||
    (b.profile.priority ?? 0) - (a.profile.priority ?? 0) ||
    a.profile.name.localeCompare(b.profile.name)
  );
}

/**
 * Matches one device against the profiles. `probed` says, for profiles with a serial probe,
 * whether the probe confirmed the device; a profile whose probe has not run does not match.
 */
export function matchDevice(index: ProfileIndex, source: string, facts: Facts, probed: (profile: string) => boolean | undefined = () => undefined): MatchResult {
  const candidates: Candidate[] = [];
  const matched: LoadedProfile[] = [];
  for (const entry of index.candidatesFor(source, facts)) {
    const { profile, file } = entry;
    const reason =
      detectMismatch(profile.detect, facts) ??
      (!whenHolds(profile, facts) ? '`when` is false' : undefined) ??
      (profile.detect.serial?.probe ? probeMismatch(probed(profile.name)) : undefined);
    if (reason) candidates.push({ profile: profile.name, file, matched: false, reason });
    else matched.push(entry);
  }
  matched.sort(precedence);
  const [winner, ...losers] = matched;
  if (winner) candidates.unshift({ profile: winner.profile.name, file: winner.file, matched: true });
  for (const loser of losers) candidates.push({ profile: loser.profile.name, file: loser.file, matched: true, reason: `${winner!.profile.name} takes precedence (more specific, higher priority, or name order)` });
  return { winner, candidates };
}

function probeMismatch(result: boolean | undefined): string | undefined {
  if (result === undefined) return 'the serial probe has not confirmed the device';
  return result ? undefined : 'the serial probe got no matching reply';
}
