import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BackendNames } from '../backends/index.js';
import { compareIssues, type ProfileIssue } from '../core/errors.js';
import { checkInParallel, type CheckHelper } from './check-in-parallel.js';
import type { KnownCheck } from './check-cache.js';
import { checkRead, digestOf, type FileCheck } from './file-check.js';
import { findProfileFiles, READ_BATCH, readInBatches, validationContext, type KnownListing } from './load-profiles.js';
import type { LoadedProfile, Profile } from './profile.js';
import { comparePaths, ProfileNames } from './profile-names.js';
import { layerOfFile, normalizedFolder } from './profile-layers.js';
import { readProfileFileSync, type ReadProfile } from './read-profile-file.js';
import { validateProfileText, type ValidationContext } from './validate-profile.js';

/** One profile file as the daemon holds it. */
export interface ProfileFileState {
  file: string;
  issues: ProfileIssue[];
  /**
   * The file's profile when it is in use: the current one, or the last good one when the file is
   * broken; none when another file's profile of that name is in use instead.
   */
  inUse?: Profile;
  /** The file is broken and its last good version is still in use. */
  keptLastGood: boolean;
  /** The file of a later folder whose profile (or mask) is used for this file's profile name instead. */
  replacedBy?: string;
  /** The profile name this file masks (removes), when it is a mask. */
  masks?: string;
}

/** What reading the whole folder again did (`reloadAll`). */
export interface ReloadReport {
  /** Files read. */
  files: number;
  /** Files whose reload changed the profiles in use, added and removed ones included. */
  changed: string[];
  /** Files read with another text or outcome than before (`changed` ones and, e.g., files that broke). */
  updated: string[];
  added: string[];
  removed: string[];
}

/**
 * How a start read the profile files: checked anew, or known from the last start's checks; and
 * of those checked, how many the helper threads checked.
 */
export interface LoadCount {
  checked: number;
  reused: number;
  helped: number;
}

/** How `loadAll` reads the folders (see there). */
export interface LoadOptions {
  helpers?: readonly CheckHelper[];
  known?: ReadonlyMap<string, KnownCheck>;
  listingOf?: KnownListing;
  listed?: (files: number) => void;
}

/** Checks one file's text; the store takes it as an option so that a test can count the checks. */
export type ProfileValidator = typeof validateProfileText;

/** What the store keeps of a file: what was learnt, not the text nor the parsed document (most of a profile's memory). */
interface FileEntry {
  /** The file's own problems: reading, YAML, schema, lint. */
  issues: ProfileIssue[];
  /** Whether the file as it is now is a valid profile; if not, `lastGood` (if any) stands in. */
  valid: boolean;
  /** The name the file holds, with its profile, or none for a mask. */
  lastGood?: { name: string; profile?: Profile; nameAt?: { line: number; col: number } };
  /** The digest of the text last checked: the same text is not checked again. */
  digest?: string;
}

/**
 * The daemon's profiles, from one or more layered folders (see profile-layers.ts), reloaded file
 * by file. A file that turns bad keeps its last good profile in use (and says so); a file that
 * goes away takes its profile with it. Of several files with one profile name, the latest
 * folder's is used (a mask uses it for nothing); within a folder the first loaded (at start-up
 * the first by path), and the others are reported (see profile-names.ts). A reload costs that
 * file and the files sharing its profile's name; what is derived from every file (the profiles
 * in use, every issue) is built again only when read after a change.
 */
export class ProfileStore {
  private readonly backends: BackendNames;
  private readonly context: ValidationContext;
  private readonly validate: ProfileValidator;
  private readonly entries = new Map<string, FileEntry>();
  /** The profiles folders, earliest first. */
  readonly folders: readonly string[];
  private readonly layerOf: (file: string) => number;
  private readonly names: ProfileNames;
  /** Files read in this turn of the event loop, to let other work in between long runs. */
  private readsThisTurn = 0;
  private pending = 0;
  private whenSettled: (() => void)[] = [];
  private cachedProfiles: LoadedProfile[] | undefined;
  private cachedIssues: ProfileIssue[] | undefined;
  private cachedFiles: string[] | undefined;

  /** `folders`: the profiles folders, earliest first; none may hold another. */
  constructor(
    folders: string | readonly string[],
    backends: BackendNames,
    options: { validate?: ProfileValidator } = {},
  ) {
    this.folders = (typeof folders === 'string' ? [folders] : folders).map(normalizedFolder);
    this.layerOf = layerOfFile(this.folders);
    this.names = new ProfileNames(this.layerOf);
    this.backends = backends;
    this.context = validationContext(backends);
    this.validate = options.validate ?? validateProfileText;
  }

  /**
   * Reads every profile file in the folders (at start-up: of one name in one folder, the first by
   * path is used). A large folder is checked by `helpers` too, worker threads started earlier
   * (check-in-parallel.ts), unless the store was given its own validator; those not given a job
   * are ended here, the others end by themselves once no batch is left. `known`: the checks of
   * the last start (check-cache.ts). `listingOf`: folders already listed (by the watch), listed
   * here no second time. `listed` is told how many files were found, before any is read.
   */
  async loadAll({ helpers = [], known = new Map(), listingOf, listed }: LoadOptions = {}): Promise<LoadCount> {
    try {
      const files = await this.listed(listingOf);
      listed?.(files.length);
      // The helpers check with validateProfileText: a store given another validator checks alone.
      const parallel = {
        started: this.validate === validateProfileText ? helpers : [],
        folders: this.folders,
        backends: this.backends,
      };
      if (known.size === 0) {
        const helped = await this.tracked(() =>
          checkInParallel(
            files,
            (file) => this.check(file, readProfileFileSync(file))!,
            (file, check) => void this.takeCheck(file, check),
            parallel,
          ),
        );
        return { checked: files.length, reused: 0, helped };
      }
      return await this.tracked(() => this.loadKnowing(files, known, parallel));
    } finally {
      // Not waited for: a thread takes some milliseconds to stop, and nothing depends on it.
      for (const helper of helpers) helper.endIfIdle();
    }
  }

  /**
   * A start with the checks of the last one: every file is read here, and only a text not
   * checked before is checked (by the helpers too when there are many). The checks are taken in
   * file order, as at a first start.
   */
  private async loadKnowing(
    files: readonly string[],
    known: ReadonlyMap<string, KnownCheck>,
    parallel: Parameters<typeof checkInParallel>[3],
  ): Promise<LoadCount> {
    const checks = new Map<string, FileCheck>();
    const texts = new Map<string, ReadProfile>();
    for (const [index, file] of files.entries()) {
      if (index % READ_BATCH === READ_BATCH - 1) await nextTurn();
      const read = readProfileFileSync(file);
      const kept = known.get(file);
      if (!('text' in read)) checks.set(file, this.check(file, read)!);
      else if (kept && kept.digest === digestOf(read.text)) checks.set(file, kept);
      else texts.set(file, read);
    }
    const anew = files.filter((file) => !checks.has(file));
    const helped = await checkInParallel(
      anew,
      (file) => this.check(file, texts.get(file) ?? readProfileFileSync(file))!,
      (file, check) => checks.set(file, check),
      parallel,
    );
    for (const file of files) this.takeCheck(file, checks.get(file)!);
    return { checked: anew.length, reused: files.length - anew.length, helped };
  }

  /** What the checks of the files held found, by file, for the next start (see check-cache.ts). */
  knownChecks(): [string, KnownCheck][] {
    const known: [string, KnownCheck][] = [];
    for (const [file, entry] of this.entries) {
      if (entry.digest === undefined) continue;
      const good = entry.valid ? entry.lastGood : undefined;
      const checked: KnownCheck['checked'] = {
        issues: entry.issues,
        ...(good?.profile ? { profile: good.profile } : good ? { mask: good.name } : {}),
        ...(good?.nameAt ? { nameAt: good.nameAt } : {}),
      };
      known.push([file, { digest: entry.digest, checked }]);
    }
    return known;
  }

  /**
   * Reads every file again, those listed in the folder and those held (for a SIGHUP): a file
   * whose text is unchanged costs a read. A folder that cannot be listed changes nothing.
   */
  async reloadAll(): Promise<ReloadReport> {
    return this.tracked(async () => {
      const listed = await this.listed();
      const files = [...new Set([...listed, ...this.entries.keys()])].sort(
        (a, b) => this.layerOf(a) - this.layerOf(b) || comparePaths(a, b),
      );
      const report: ReloadReport = { files: files.length, changed: [], updated: [], added: [], removed: [] };
      await readInBatches(files, (file, read) => {
        const before = this.entries.get(file);
        if (this.take(file, read)) report.changed.push(file);
        const after = this.entries.get(file);
        if (after !== before) report.updated.push(file);
        if (!before !== !after) (before ? report.removed : report.added).push(file);
      });
      return report;
    });
  }

  /**
   * Re-reads one file (gone, new or edited); returns whether the profiles in use changed. The
   * read blocks, as for the whole folder, and is taken at once, so reads of one file are taken in
   * the order they were made; a run of reloads in one turn of the event loop (a ConfigMap update
   * reloads every file) lets other work in every READ_BATCH files.
   */
  async reload(file: string): Promise<boolean> {
    return this.tracked(async () => {
      if (this.readsThisTurn++ === 0) setImmediate(() => (this.readsThisTurn = 0));
      else if (this.readsThisTurn > READ_BATCH) await new Promise((resolve) => setImmediate(resolve));
      return this.take(file, readProfileFileSync(file));
    });
  }

  /** The profile files in every folder, folder by folder. */
  private async listed(listingOf?: KnownListing): Promise<string[]> {
    const found = [];
    for (const folder of this.folders) found.push(...(await findProfileFiles(folder, undefined, listingOf)));
    return found;
  }

  /** Whether a reload is under way: more changes may follow the one just reported. */
  get reloading(): boolean {
    return this.pending > 0;
  }

  /** Resolves once no reload is under way. */
  settled(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.whenSettled.push(resolve));
  }

  private async tracked<T>(work: () => Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await work();
    } finally {
      if (--this.pending === 0) for (const resolve of this.whenSettled.splice(0)) resolve();
    }
  }

  /** The check of what was read of one file; undefined when its text is the one last checked. */
  private check(file: string, read: ReadProfile, knownDigest?: string): FileCheck | undefined {
    return checkRead(
      file,
      read,
      this.layerOf(file),
      (named, text) => this.validate(named, text, this.context),
      knownDigest,
    );
  }

  /** Takes what was read of one file; returns whether the profiles in use changed. */
  private take(file: string, read: ReadProfile): boolean {
    const check = this.check(file, read, this.entries.get(file)?.digest);
    return check !== undefined && this.takeCheck(file, check);
  }

  /** Takes the check of one file; returns whether the profiles in use changed. */
  private takeCheck(file: string, check: FileCheck): boolean {
    const before = this.entries.get(file);
    const after = this.entryFrom(check, before);
    if (after === before) return false;
    if (!before) return this.takeNew(file, after!);
    const [oldGood, newGood] = [before.lastGood, after?.lastGood];
    const names = [...new Set([oldGood?.name, newGood?.name])].filter((name) => name !== undefined);
    const inUseBefore = names.map((name) => this.inUseFor(name));
    // An edit that keeps the name keeps the file's place among the files that hold it.
    const renamed = oldGood?.name !== newGood?.name;
    if (renamed && oldGood) this.names.delete(oldGood.name, file);
    if (after) this.entries.set(file, after);
    else this.entries.delete(file);
    if (renamed && newGood) this.names.add(newGood.name, file);
    this.cachedIssues = undefined;
    if (!after) this.cachedFiles = undefined;
    const changed = names.some((name, index) => {
      const [was, now] = [inUseBefore[index]!, this.inUseFor(name)];
      return was.file !== now.file || !sameProfile(was.profile, now.profile);
    });
    if (changed) this.cachedProfiles = undefined;
    return changed;
  }

  /**
   * Takes a file the store did not hold (every file at a first start): no profile of its own
   * can change, so the profiles in use change only if its name passes to it.
   */
  private takeNew(file: string, entry: FileEntry): boolean {
    this.entries.set(file, entry);
    this.cachedIssues = undefined;
    this.cachedFiles = undefined;
    const name = entry.lastGood?.name;
    if (name === undefined) return false;
    const owner = this.names.owner(name);
    this.names.add(name, file);
    if (this.names.owner(name) === owner) return false;
    this.cachedProfiles = undefined;
    return true;
  }

  /** The file in use for a name and its profile (none for a mask). */
  private inUseFor(name: string): { file?: string; profile?: Profile } {
    const file = this.names.owner(name);
    return { file, profile: file === undefined ? undefined : this.entries.get(file)?.lastGood?.profile };
  }

  /** The entry of a file after a check. */
  private entryFrom(check: FileCheck, before: FileEntry | undefined): FileEntry | undefined {
    // A FIFO, socket or device is not a profile, as in the folder walk at start-up.
    if ('absent' in check) return undefined;
    const lastGood = before?.lastGood;
    if ('unreadable' in check) return { issues: [check.unreadable], valid: false, ...(lastGood ? { lastGood } : {}) };
    const { digest, checked } = check;
    const { profile, mask, nameAt, issues } = checked;
    const name = profile?.name ?? mask;
    if (name === undefined) return { issues, valid: false, digest, ...(lastGood ? { lastGood } : {}) };
    return {
      issues,
      valid: true,
      digest,
      lastGood: { name, ...(profile ? { profile } : {}), ...(nameAt ? { nameAt } : {}) },
    };
  }

  /** Files this store holds, under `folder` (for a removed folder). */
  filesUnder(folder: string): string[] {
    return [...this.entries.keys()].filter((file) => file.startsWith(`${folder}/`));
  }

  /** The profiles in use, by file path. */
  profiles(): LoadedProfile[] {
    this.cachedProfiles ??= this.sortedFiles().flatMap((file) => {
      const profile = this.inUse(file);
      return profile ? [{ profile, file }] : [];
    });
    return this.cachedProfiles;
  }

  /** Every problem in every file, and each profile name used by several files. */
  issues(): ProfileIssue[] {
    this.cachedIssues ??= this.sortedFiles()
      .flatMap((file) => this.issuesOf(file))
      .sort(compareIssues);
    return this.cachedIssues;
  }

  /** The problems of one file, its profile's name used elsewhere included. */
  issuesOf(file: string): ProfileIssue[] {
    const entry = this.entries.get(file);
    if (!entry?.lastGood) return entry?.issues ?? [];
    const { name, nameAt } = entry.lastGood;
    const duplicate = this.names.issueOf(name, file, nameAt);
    return duplicate.length === 0 ? entry.issues : [...entry.issues, ...duplicate].sort(compareIssues);
  }

  /** Each file's state, for the status server. */
  files(): ProfileFileState[] {
    return this.sortedFiles().map((file) => this.fileState(file)!);
  }

  /** One file's state; undefined when the store does not hold it. */
  fileState(file: string): ProfileFileState | undefined {
    const entry = this.entries.get(file);
    if (!entry) return undefined;
    const inUse = this.inUse(file);
    const held = entry.lastGood;
    const replacedBy = held && this.names.replacedBy(held.name, file);
    const masks = held && !held.profile ? held.name : undefined;
    return {
      file,
      issues: this.issuesOf(file),
      keptLastGood: !entry.valid && held !== undefined && this.names.owner(held.name) === file,
      ...(inUse ? { inUse } : {}),
      ...(replacedBy ? { replacedBy } : {}),
      ...(masks ? { masks } : {}),
    };
  }

  private inUse(file: string): Profile | undefined {
    const profile = this.entries.get(file)?.lastGood?.profile;
    return profile && this.names.owner(profile.name) === file ? profile : undefined;
  }

  private sortedFiles(): string[] {
    this.cachedFiles ??= [...this.entries.keys()].sort(comparePaths);
    return this.cachedFiles;
  }
}

/** Whether two versions of a profile (none: a mask, or no file) say the same (only the two are serialised, never the whole store). */
const sameProfile = (a: Profile | undefined, b: Profile | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b));
