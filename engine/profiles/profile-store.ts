import type { BackendNames } from '../backends/index.js';
import { compareIssues, type ProfileIssue } from '../core/errors.js';
import { duplicateNameIssues, findProfileFiles, firstOfEachName, readAll, validationContext } from './load-profiles.js';
import type { LoadedProfile, Profile } from './profile.js';
import { readProfileFile, type ReadProfile } from './read-profile-file.js';
import { validateProfileText, type ValidatedFile, type ValidationContext } from './validate-profile.js';

/** One profile file as the daemon holds it. */
export interface ProfileFileState {
  file: string;
  issues: ProfileIssue[];
  /** The profile in use: the file's current one, or the last good one when the file is broken. */
  inUse?: Profile;
  /** The file is broken and its last good version is still in use. */
  keptLastGood: boolean;
}

/**
 * The daemon's profiles, reloaded file by file. A file that turns bad keeps its last good
 * profile in use (and says so); a file that goes away takes its profile with it.
 */
export class ProfileStore {
  private readonly context: ValidationContext;
  private readonly current = new Map<string, ValidatedFile>();
  private readonly lastGood = new Map<string, Profile>();

  constructor(
    readonly folder: string,
    backends: BackendNames,
  ) {
    this.context = validationContext(backends);
  }

  /** Reads every profile file in the folder, several at a time. */
  async loadAll(): Promise<void> {
    const files = await findProfileFiles(this.folder);
    for (const [index, read] of (await readAll(files)).entries()) this.take(files[index]!, read);
  }

  /** Re-reads one file (gone, new or edited); returns whether the profiles in use changed. */
  async reload(file: string): Promise<boolean> {
    const before = JSON.stringify(this.profiles());
    this.take(file, await readProfileFile(file));
    return JSON.stringify(this.profiles()) !== before;
  }

  private take(file: string, read: ReadProfile): void {
    // A FIFO, socket or device is not a profile, as in the folder walk at start-up.
    if ('gone' in read || 'special' in read) {
      this.current.delete(file);
      this.lastGood.delete(file);
    } else if ('issue' in read) {
      this.current.set(file, { file, text: '', issues: [read.issue] });
    } else {
      const { source: _parsed, text: _text, ...validated } = validateProfileText(file, read.text, this.context);
      // Only what was learnt is kept: the parsed document and the text are most of a profile's memory.
      this.current.set(file, { ...validated, text: '' });
      if (validated.profile) this.lastGood.set(file, validated.profile);
    }
  }

  /** Files this store holds, under `folder` (for a removed folder). */
  filesUnder(folder: string): string[] {
    return [...this.current.keys()].filter((file) => file.startsWith(`${folder}/`));
  }

  /** The profiles in use; of several with one name, the first by file path. */
  profiles(): LoadedProfile[] {
    const inUse = [...this.current.keys()].flatMap((file) => {
      const profile = this.current.get(file)?.profile ?? this.lastGood.get(file);
      return profile ? [{ profile, file }] : [];
    });
    return firstOfEachName(inUse);
  }

  /** Every problem in every file, and duplicate names among the profiles in use. */
  issues(): ProfileIssue[] {
    const files = [...this.current.values()];
    return [...files.flatMap((file) => file.issues), ...duplicateNameIssues(files)].sort(compareIssues);
  }

  /** Each file's state, for the status server. */
  files(): ProfileFileState[] {
    const issues = this.issues();
    return [...this.current.keys()].sort().map((file) => {
      const validated = this.current.get(file)!;
      const inUse = validated.profile ?? this.lastGood.get(file);
      return {
        file,
        issues: issues.filter((issue) => issue.file === file),
        keptLastGood: !validated.profile && inUse !== undefined,
        ...(inUse ? { inUse } : {}),
      };
    });
  }
}
