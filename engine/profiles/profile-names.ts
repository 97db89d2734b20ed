import type { ProfileIssue } from '../core/errors.js';

/** Orders file paths by their code units: the same order in every locale, and the order the folder walk lists them in. */
export const comparePaths = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Which file's profile is in use for each profile name, in a running daemon. A name belongs to
 * the first file that brings it; a file that brings it later is a duplicate and stays unused
 * (whatever its path), so an edit elsewhere never swaps the profile a device is matched with.
 * When the file in use lets go of the name (removed, renamed, or its name edited), the name
 * passes to the first of the remaining files by path: the one a restart would pick.
 * Every operation costs the files that share one name, not the whole folder.
 */
export class ProfileNames {
  /** The files whose profile has this name, in the order they brought it. */
  private readonly holders = new Map<string, Set<string>>();
  private readonly owners = new Map<string, string>();

  /** The file whose profile is in use for `name`. */
  owner(name: string): string | undefined {
    return this.owners.get(name);
  }

  /** `file`'s profile now has `name`; it is in use only if no other file holds the name. */
  add(name: string, file: string): void {
    const holders = this.holders.get(name);
    if (holders) holders.add(file);
    else this.holders.set(name, new Set([file]));
    if (!this.owners.has(name)) this.owners.set(name, file);
  }

  /** `file`'s profile no longer has `name`; if it was in use, the next holder by path takes over. */
  delete(name: string, file: string): void {
    const holders = this.holders.get(name);
    if (!holders?.delete(file)) return;
    if (holders.size === 0) {
      this.holders.delete(name);
      this.owners.delete(name);
    } else if (this.owners.get(name) === file) {
      this.owners.set(name, [...holders].sort(comparePaths)[0]!);
    }
  }

  /**
   * The `duplicate-name` issue of `file`, whose profile has `name`: an error for a file whose
   * profile is not used because of it, a warning for the file in use; none when the name is
   * its own.
   */
  issueOf(name: string, file: string, at: { line: number; col: number } = { line: 1, col: 1 }): ProfileIssue[] {
    const holders = this.holders.get(name);
    if (!holders || holders.size < 2) return [];
    const owner = this.owners.get(name)!;
    const others = [...holders].filter((holder) => holder !== file).sort(comparePaths);
    const message =
      owner === file
        ? `profile name \`${name}\` is also used in ${others.join(', ')}, which this file's profile keeps out of use`
        : `profile name \`${name}\` is already used in ${owner}, whose profile stays in use; this file's is not used`;
    return [{ severity: owner === file ? 'warning' : 'error', code: 'duplicate-name', file, ...at, message }];
  }
}
