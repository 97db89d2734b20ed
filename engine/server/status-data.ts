/**
 * The status server's JSON, one set of types for the code that writes it (daemon-status.ts) and
 * the page that shows it (status-page.ts).
 */
import type { ProfileIssue } from '../core/errors.js';
import type { Facts } from '../core/facts.js';
import type { IgnoredBy } from '../match/ignored-by.js';
import type { Candidate } from '../match/matcher.js';
import type { ProbeRecord } from '../probe/prober.js';
import type { DeliveryStatus } from '../reconcile/reconciler.js';
import type { SourceStatus } from '../sources/source.js';

/** `GET /`: what is running; the counts once start-up has got far enough to have them. */
export interface StatusSummary {
  name: string;
  version: string;
  ready: boolean;
  /** ISO 8601. */
  startedAt: string;
  uptimeSeconds?: number;
  profiles?: { loaded: number; errors: number; warnings: number };
  /** `leaving`: gone within their hold, registrations kept in case they come back. */
  devices?: { present: number; matched: number; leaving: number };
  /** Identifiers by delivery state. */
  deliveries?: Partial<Record<DeliveryStatus['state'], number>>;
  sources?: readonly SourceStatus[];
}

/**
 * One entry of `GET /devices`: a device present, one gone within its hold (`leaving`), or one gone
 * whose registrations are still being removed.
 */
export interface DeviceStatus {
  key: string;
  source: string;
  /** `false` for a device that is gone: leaving, or its registrations still being removed. */
  present?: false;
  /**
   * For a device gone within its hold (`holdMs`): when it went, and when its registrations are
   * removed unless it comes back (ISO 8601). Shown with what it was while present.
   */
  leaving?: { since: string; until: string };
  /** When it was first seen (ISO 8601); absent for a device whose registrations are being removed. */
  since?: string;
  /** The winning profile's name. */
  profile: string | null;
  /** The ignore rule (config rule or ignore profile) that leaves the device alone, if one does. */
  ignored?: IgnoredBy;
  candidates: Candidate[];
  problems: string[];
  /** How it is delivered that users must know: a fallback identifier, an identifier it shares. */
  warnings?: string[];
  notes?: string[];
  /** Serial probes run on the device, for serial devices. */
  probes?: ProbeRecord[];
  deliveries: DeliveryStatus[];
  /** Absent for a device whose registrations are being removed. */
  facts?: Facts;
}

/** `GET /profiles`: the profiles in use and every profile file with its problems. */
export interface ProfilesStatus {
  loaded: {
    name: string;
    file: string;
    description: string | null;
    priority: number;
    notify: string[];
    /** An ignore profile: devices it detects are left alone. */
    ignore?: true;
  }[];
  files: {
    file: string;
    profile: string | null;
    keptLastGood: boolean;
    /** The later profiles folder's file whose profile (or mask) is used instead of this file's. */
    replacedBy?: string;
    /** The profile name this file masks, when it is a mask. */
    masks?: string;
    issues: ProfileIssue[];
  }[];
}
