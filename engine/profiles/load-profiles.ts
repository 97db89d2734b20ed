import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BackendNames } from '../backends/index.js';
import { compareIssues, type ProfileIssue } from '../core/errors.js';
import { typeOf, type ListedEntry } from '../core/folder-listing.js';
import type { LoadedProfile } from './profile.js';
import { typeKeyedProfileSchema } from './profile-schema.js';
import { comparePaths } from './profile-names.js';
import { asLayered, heldName, resolveLayers, type Replacement } from './profile-layers.js';
import { readProfileFileSync, type ReadProfile } from './read-profile-file.js';
import { validateProfileText, type ValidatedFile, type ValidationContext } from './validate-profile.js';
import { CHECK_BATCH } from './check-in-parallel.js';

const YAML_FILE = /\.ya?ml$/i;
const TEST_FILE = /\.test\.ya?ml$/i;

/** Every profile found, the valid ones, and every issue in every file. */
export interface ProfileSet {
  /**
   * Valid profiles in use: of several with one name, the latest folder's (see
   * profile-layers.ts), and in that folder the first by file path; none for a masked name.
   */
  profiles: LoadedProfile[];
  files: ValidatedFile[];
  issues: ProfileIssue[];
  /** The files a later folder's profile (or mask) replaces. */
  replaced: Replacement[];
}

/** Whether a file holds `engine test` examples (`*.test.yaml`) rather than a profile. */
export const isTestFile = (file: string): boolean => TEST_FILE.test(file);

/** Whether a file found in a profiles folder is a profile: YAML, and not a test file. */
export const isProfileFile = (file: string): boolean => YAML_FILE.test(file) && !isTestFile(file);

/** Whether an entry of a profiles folder is never a profile: hidden (`.`, `..data` of a ConfigMap, editors' swap files) or node_modules. */
export const isHiddenName = (name: string): boolean => name.startsWith('.') || name === 'node_modules';

/**
 * Files under a folder that pass `accept`, recursively, in a stable order. Hidden entries are
 * skipped; a symlink is followed, but never twice into the same real folder (`loop -> .`), and
 * only regular files are taken (a FIFO named `x.yaml` would block its reader for good).
 */
async function findFiles(
  folder: string,
  accept: (file: string) => boolean,
  seen = new Set<string>(),
  listingOf?: KnownListing,
): Promise<string[]> {
  const real = await realpath(folder);
  if (seen.has(real)) return [];
  seen.add(real);
  const entries =
    listingOf?.(folder) ??
    (await readdir(folder, { withFileTypes: true })).map((entry) => ({ name: entry.name, type: typeOf(entry) }));
  const found: string[] = [];
  // `path.join(folder, name)` for every entry, the folder normalised once: a listed name is never
  // `.`, `..` or holds a slash (a tenth of a start's listing with 10,000 profiles).
  const within = path.join(folder, '_').slice(0, -1);
  for (const { name, type } of entries) {
    if (isHiddenName(name)) continue;
    const full = within + name;
    let entryType = type;
    if (type === 'link') {
      const target = await stat(full).catch(() => undefined);
      entryType = target?.isDirectory() ? 'folder' : target?.isFile() ? 'file' : 'other';
    }
    if (entryType === 'folder') found.push(...(await findFiles(full, accept, seen, listingOf)));
    else if (entryType === 'file' && accept(name)) found.push(full);
  }
  return found.sort();
}

/**
 * A folder's entries as a watch listed them, when one did (the daemon's start: see
 * watch-profiles.ts); a folder it gives none for is listed anew.
 */
export type KnownListing = (folder: string) => readonly ListedEntry[] | undefined;

/** Profile files under a folder (`*.yaml`, `*.yml`, not `*.test.yaml`), recursively. */
export const findProfileFiles = (folder: string, seen?: Set<string>, listingOf?: KnownListing): Promise<string[]> =>
  findFiles(folder, isProfileFile, seen, listingOf);

/** Test files (`*.test.yaml`, `*.test.yml`) under a folder, recursively. */
export const findTestFiles = (folder: string): Promise<string[]> => findFiles(folder, isTestFile);

/**
 * Expands files and folders into the files `find` picks in folders; a named file is taken
 * whatever its extension when `named` accepts it (test files are not profiles, and vice versa).
 */
export async function expandPaths(
  paths: readonly string[],
  find: (folder: string) => Promise<string[]> = findProfileFiles,
  named: (file: string) => boolean = (file) => !isTestFile(file),
): Promise<{ files: string[]; issues: ProfileIssue[] }> {
  const files: string[] = [];
  const issues: ProfileIssue[] = [];
  for (const given of paths) {
    try {
      if ((await stat(given)).isDirectory()) files.push(...(await find(given)));
      else if (named(given)) files.push(given);
    } catch (error) {
      issues.push({
        severity: 'error',
        code: 'read-error',
        file: given,
        line: 1,
        col: 1,
        message: (error as Error).message,
      });
    }
  }
  return { files: [...new Set(files)], issues };
}

/**
 * What profiles are checked against, for a set of backend names: the type-keyed schema, the same
 * for every config (see validate-profile.ts).
 */
export function validationContext(backends: BackendNames): ValidationContext {
  return { backends, schema: typeKeyedProfileSchema() };
}

/**
 * How many files the daemon reads with blocking calls before it lets other work in: about a
 * millisecond's worth, the batch its start-up checks are shared out in too.
 */
export const READ_BATCH = CHECK_BATCH;

/**
 * Reads files a batch at a time with blocking calls, in order, handing each to `take`, and lets
 * other work run between batches: a batch takes about a millisecond (a promise per call made a
 * read five times slower), and the status server answers between them.
 */
export async function readInBatches(
  files: readonly string[],
  take: (file: string, read: ReadProfile) => void,
): Promise<void> {
  for (let start = 0; start < files.length; start += READ_BATCH) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const file of files.slice(start, start + READ_BATCH)) take(file, readProfileFileSync(file));
  }
}

/** Reports each profile name used by more than one file (of one folder), at every place it is written. */
export function duplicateNameIssues(files: readonly ValidatedFile[]): ProfileIssue[] {
  const byName = new Map<string, ValidatedFile[]>();
  for (const file of files) {
    const name = heldName(file);
    if (name !== undefined) byName.set(name, [...(byName.get(name) ?? []), file]);
  }
  const issues: ProfileIssue[] = [];
  for (const [name, holders] of byName) {
    if (holders.length < 2) continue;
    for (const holder of holders) {
      const others = holders.filter((other) => other !== holder).map((other) => other.file);
      const { line, col } = holder.nameAt ?? { line: 1, col: 1 };
      issues.push({
        severity: 'error',
        code: 'duplicate-name',
        file: holder.file,
        line,
        col,
        message: `profile name \`${name}\` is also used in ${others.join(', ')}`,
      });
    }
  }
  return issues;
}

/** Loads and checks every profile under `paths`, as one folder (for one-shot commands: it reads with blocking calls). */
export const loadProfiles = (paths: readonly string[], backends: BackendNames): Promise<ProfileSet> =>
  loadProfileLayers([paths], backends);

/**
 * Loads and checks the profiles of layered folders, earliest first (each layer its files and
 * folders), against the given backend names: a later layer's profile replaces an earlier one of
 * the same name, a mask removes it. For one-shot commands: it reads with blocking calls.
 */
export async function loadProfileLayers(
  layers: readonly (readonly string[])[],
  backends: BackendNames,
): Promise<ProfileSet> {
  const context = validationContext(backends);
  const files: { validated: ValidatedFile; layer: number }[] = [];
  const issues: ProfileIssue[] = [];
  for (const [layer, paths] of layers.entries()) {
    const expanded = await expandPaths(paths);
    const layerFiles: ValidatedFile[] = [];
    issues.push(...expanded.issues);
    for (const file of expanded.files) {
      const read = readProfileFileSync(file);
      if ('issue' in read) issues.push(read.issue);
      if (!('text' in read)) continue;
      const validated = asLayered(validateProfileText(file, read.text, context), layer);
      layerFiles.push(validated);
      issues.push(...validated.issues);
    }
    issues.push(...duplicateNameIssues(layerFiles));
    // Of one name in one folder, the first by path is used, as the daemon does at start-up.
    layerFiles.sort((a, b) => comparePaths(a.file, b.file));
    files.push(...layerFiles.map((validated) => ({ validated, layer })));
  }
  const { profiles, replaced } = resolveLayers(files);
  return { profiles, files: files.map((file) => file.validated), issues: issues.sort(compareIssues), replaced };
}
