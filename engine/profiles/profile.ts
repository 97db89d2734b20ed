import type { ProfileTest } from '../profile-tests/profile-test.js';
import type { DetectBlocks } from '../sources/index.js';

/** A JSON-logic expression or constant, as written in a profile. */
export type LogicValue = unknown;

/**
 * A profile's `detect`: one block per source it reads (each typed by its source, see
 * sources/index.ts), and a `when` over the facts.
 */
export type Detect = DetectBlocks & { when?: LogicValue };

/** One `notify` entry: a backend name and that backend type's options. */
export interface NotifyEntry {
  backend: string;
  [option: string]: unknown;
}

/** A profile as written, after validation. */
export interface Profile {
  name: string;
  description?: string;
  priority?: number;
  /** Why the profile is meant to match broadly: silences the warnings about a broad matcher. */
  broad?: string;
  /** How long the registrations of a matched device that went are kept, in ms (the source's setting when absent). */
  holdMs?: number;
  /**
   * An ignore profile: a device it detects is left alone (never registered, never probed),
   * whatever other profile matches it. It has no `map`, `notify` or `priority`.
   */
  ignore?: true;
  detect: Detect;
  /** The payload; absent only in an ignore profile. */
  map?: Record<string, LogicValue>;
  /** The backends told; absent only in an ignore profile. */
  notify?: NotifyEntry[];
  /** Examples run by `engine test`; the engine itself ignores them. */
  tests?: ProfileTest[];
}

/** A valid profile and where it came from. */
export interface LoadedProfile {
  profile: Profile;
  file: string;
  /** Set on an ignore rule of the engine config (`ignore:`), which `file` is; unset on a profile file. */
  configRule?: true;
}
