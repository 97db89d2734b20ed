import { readFile } from 'node:fs/promises';
import type { BackendNames } from '../backends/index.js';
import { compareIssues, type ProfileIssue } from '../errors.js';
import { duplicateNameIssues, findProfileFiles, firstOfEachName, validationContext } from './load-profiles.js';
import type { LoadedProfile, Profile } from './profile.js';
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

  /** Reads every profile file in the folder. */
  async loadAll(): Promise<void> {
    for (const file of await findProfileFiles(this.folder)) await this.read(file);
  }

  /** Re-reads one file (gone, new or edited); returns whether the profiles in use changed. */
  async reload(file: string): Promise<boolean> {
    const before = JSON.stringify(this.profiles());
    await this.read(file);
    return JSON.stringify(this.profiles()) !== before;
  }

  private async read(file: string): Promise<void> {
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'EISDIR') {
        this.current.set(file, { file, text: '', issues: [{ severity: 'error', code: 'read-error', file, line: 1, col: 1, message: (error as Error).message }] });
        return;
      }
    }
    if (text === undefined) {
      this.current.delete(file);
      this.lastGood.delete(file);
    } else {
      const validated = validateProfileText(file, text, this.context);
      this.current.set(file, validated);
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
      return { file, issues: issues.filter((issue) => issue.file === file), keptLastGood: !validated.profile && inUse !== undefined, ...(inUse ? { inUse } : {}) };
    });
  }
}
