import path from 'node:path';
import type { ProfileIssue } from '../core/errors.js';

/** Orders file paths by their code units: the same order in every locale, and the order the folder walk lists them in. */
export const comparePaths = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The profile name a file's own name gives (`site/gps.yaml` → `gps`): what a mask with no `name` removes. */
export const nameFromFile = (file: string): string => path.basename(file).replace(/\.ya?ml$/i, '');

/**
 * Which file's profile is in use for each profile name, in a running daemon. Profiles folders
 * are layered (see profile-layers.ts): the name belongs to the latest folder that holds it, and
 * its files in earlier folders are replaced. Within one folder, a name belongs to the first file
 * that brings it; a file that brings it later is a duplicate and stays unused (whatever its
 * path), so an edit elsewhere never swaps the profile a device is matched with. When the file in
 * use lets go of the name (removed, renamed, or its name edited), the name passes to the first of
 * the folder's remaining files by path (the one a restart would pick), or to an earlier folder.
 * A file holding a name may be a mask, which owns it with no profile. Every operation costs the
 * files that share one name, not the whole store.
 */
export class ProfileNames {
  /** The files whose profile (or mask) has this name, in the order they brought it. */
  private readonly holders = new Map<string, Set<string>>();
  /** For each name, the file in use in each folder (by its layer) that holds the name. */
  private readonly owners = new Map<string, Map<number, string>>();

  /** `layerOf`: the index of a file's profiles folder, later folders higher. */
  constructor(private readonly layerOf: (file: string) => number = () => 0) {}

  /** The file whose profile (or mask) is in use for `name`: the latest folder's. */
  owner(name: string): string | undefined {
    const byLayer = this.owners.get(name);
    if (byLayer === undefined) return undefined;
    let latest = -1;
    for (const layer of byLayer.keys()) if (layer > latest) latest = layer;
    return byLayer.get(latest);
  }

  /** The file of a later folder that holds `name` in place of `file`, if one does. */
  replacedBy(name: string, file: string): string | undefined {
    const owner = this.owner(name);
    return owner !== undefined && this.layerOf(owner) > this.layerOf(file) ? owner : undefined;
  }

  /** `file`'s profile now has `name`; it is in use in its folder only if no other file there holds the name. */
  add(name: string, file: string): void {
    const holders = this.holders.get(name);
    if (holders) holders.add(file);
    else this.holders.set(name, new Set([file]));
    const byLayer = this.owners.get(name) ?? new Map<number, string>();
    this.owners.set(name, byLayer);
    const layer = this.layerOf(file);
    if (!byLayer.has(layer)) byLayer.set(layer, file);
  }

  /** `file`'s profile no longer has `name`; if it was in use, the next holder of its folder by path takes over. */
  delete(name: string, file: string): void {
    const holders = this.holders.get(name);
    if (!holders?.delete(file)) return;
    const byLayer = this.owners.get(name)!;
    const layer = this.layerOf(file);
    if (byLayer.get(layer) === file) {
      const next = this.sameFolder([...holders], layer).sort(comparePaths)[0];
      if (next === undefined) byLayer.delete(layer);
      else byLayer.set(layer, next);
    }
    if (holders.size === 0) {
      this.holders.delete(name);
      this.owners.delete(name);
    }
  }

  /**
   * The `duplicate-name` issue of `file`, whose profile has `name`: an error for a file whose
   * profile is not used because another file of its folder has the name, a warning for the file
   * used; none when the name is its own in its folder (a later folder's is no duplicate).
   */
  issueOf(name: string, file: string, at: { line: number; col: number } = { line: 1, col: 1 }): ProfileIssue[] {
    const all = this.holders.get(name);
    // Most names have one file: no list to build for them (every file's issues are read at start).
    if (all === undefined || all.size < 2) return [];
    const layer = this.layerOf(file);
    const holders = this.sameFolder([...all], layer);
    if (holders.length < 2) return [];
    const owner = this.owners.get(name)!.get(layer)!;
    const others = holders.filter((holder) => holder !== file).sort(comparePaths);
    const message =
      owner === file
        ? `profile name \`${name}\` is also used in ${others.join(', ')}, which this file's profile keeps out of use`
        : `profile name \`${name}\` is already used in ${owner}, whose profile stays in use; this file's is not used`;
    return [{ severity: owner === file ? 'warning' : 'error', code: 'duplicate-name', file, ...at, message }];
  }

  private sameFolder(files: readonly string[], layer: number): string[] {
    return files.filter((file) => this.layerOf(file) === layer);
  }
}
