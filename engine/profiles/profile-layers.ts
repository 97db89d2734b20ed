import path from 'node:path';
import type { LoadedProfile } from './profile.js';
import { nameFromFile, ProfileNames } from './profile-names.js';
import type { ValidatedFile } from './validate-profile.js';

/**
 * Profiles folders are layered, as udev layers `/usr/lib/udev/rules.d` under `/etc/udev/rules.d`:
 * a vendor catalogue first, a site's folder after it. Of the profiles with one name, the latest
 * folder's is used and the earlier ones are replaced; a mask (a file with `mask: true`, or an
 * empty file in a folder after the first) uses the name for nothing, so the profile is removed.
 * Two files of one folder with one name stay a `duplicate-name` error. This module holds what
 * the one-shot commands and the daemon's store share.
 */

/** A profile file that a later folder's file replaces or masks. */
export interface Replacement {
  /** The replaced file. */
  file: string;
  /** The profile name both files hold. */
  name: string;
  /** The later folder's file whose profile (or mask) is used instead. */
  by: string;
  /** Whether `by` is a mask: the name has no profile at all. */
  masked: boolean;
}

/** A folder as the store and the loader name its files (`./profiles/` → `profiles`). */
export const normalizedFolder = (folder: string): string => path.normalize(folder).replace(/(.)\/+$/, '$1');

/** The layer of a file among `folders` (normalized, none inside another): the index of its folder, 0 if none. */
export function layerOfFile(folders: readonly string[]): (file: string) => number {
  const prefixes = folders.map((folder) => (folder === '/' ? '/' : `${folder}/`));
  return (file) =>
    Math.max(
      0,
      prefixes.findIndex((prefix) => file.startsWith(prefix)),
    );
}

/**
 * A checked file as its layer reads it: an empty file in a folder after the first is a mask of
 * the profile its name gives (in the first folder, or alone, it stays an `empty-file` error:
 * there is nothing earlier to remove, and an empty profile is most likely a write cut short).
 */
export function asLayered(validated: ValidatedFile, layer: number): ValidatedFile {
  const empty = validated.issues.length === 1 && validated.issues[0]!.code === 'empty-file';
  if (layer === 0 || !empty) return validated;
  return { ...validated, issues: [], mask: nameFromFile(validated.file) };
}

/** The name a valid file holds: its profile's, or the one its mask removes. */
export const heldName = (file: ValidatedFile): string | undefined => file.profile?.name ?? file.mask;

/** A file replaced by a later folder's, in words: `vendor/gps.yaml: profile gps replaced by site/gps.yaml`. */
export const replacementText = ({ file, name, by, masked }: Replacement): string =>
  `${file}: profile ${name} ${masked ? 'masked' : 'replaced'} by ${by}`;

/**
 * The profiles in use among checked files of layered folders (each file with its layer, files of
 * one layer in path order), and the files replaced by a later folder's: as the daemon picks them
 * at start-up.
 */
export function resolveLayers(files: readonly { validated: ValidatedFile; layer: number }[]): {
  profiles: LoadedProfile[];
  replaced: Replacement[];
} {
  const layers = new Map(files.map(({ validated, layer }) => [validated.file, layer]));
  const names = new ProfileNames((file) => layers.get(file) ?? 0);
  const masks = new Set<string>();
  for (const { validated } of files) {
    const name = heldName(validated);
    if (name !== undefined) names.add(name, validated.file);
    if (validated.mask !== undefined) masks.add(validated.file);
  }
  const profiles: LoadedProfile[] = [];
  const replaced: Replacement[] = [];
  for (const { validated } of files) {
    const name = heldName(validated);
    if (name === undefined) continue;
    const by = names.replacedBy(name, validated.file);
    if (by !== undefined) replaced.push({ file: validated.file, name, by, masked: masks.has(by) });
    else if (validated.profile && names.owner(name) === validated.file)
      profiles.push({ profile: validated.profile, file: validated.file });
  }
  return { profiles, replaced };
}
