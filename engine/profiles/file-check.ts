import { hash } from 'node:crypto';
import type { ProfileIssue } from '../core/errors.js';
import type { Profile } from './profile.js';
import { asLayered } from './profile-layers.js';
import type { ReadProfile } from './read-profile-file.js';
import type { ValidatedFile } from './validate-profile.js';

/**
 * What the daemon's store learns from one read of a profile file. It is plain data, so that a
 * worker thread can check files and hand the outcome over (check-in-parallel.ts).
 */
export type FileCheck =
  /** Gone, or not a regular file: not a profile. */
  | { absent: true }
  /** There, but not read: the issue says why. */
  | { unreadable: ProfileIssue }
  | { digest: string; checked: CheckedText };

/** What the checks found in a file's text: all the store keeps (not the text, nor the parsed document). */
export interface CheckedText {
  profile?: Profile;
  /** The profile name the file masks, when it is a valid mask. */
  mask?: string;
  nameAt?: { line: number; col: number };
  issues: ProfileIssue[];
}

/** Checks one file's text, as its layer reads it (see profile-layers.ts). */
export type TextCheck = (file: string, text: string) => ValidatedFile;

/**
 * A digest of a file's text: a text checked before is not checked again. The one-shot `hash`
 * costs a third of a `createHash` object for a profile-sized text (0.7 against 2 µs here).
 */
export const digestOf = (text: string): string => hash('sha1', text, 'base64');

/**
 * The check of one read, or undefined when the text is the one whose digest is `knownDigest`
 * (nothing to check again). `layer`: the index of the file's folder among the store's.
 */
export function checkRead(
  file: string,
  read: ReadProfile,
  layer: number,
  check: TextCheck,
  knownDigest?: string,
): FileCheck | undefined {
  if ('gone' in read || 'special' in read) return { absent: true };
  if ('issue' in read) return { unreadable: read.issue };
  const digest = digestOf(read.text);
  if (digest === knownDigest) return undefined;
  const { profile, mask, nameAt, issues } = asLayered(check(file, read.text), layer);
  return {
    digest,
    checked: {
      issues,
      ...(profile ? { profile } : {}),
      ...(mask !== undefined ? { mask } : {}),
      ...(nameAt ? { nameAt } : {}),
    },
  };
}
