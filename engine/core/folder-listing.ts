import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { escapedName, nameAsText } from './file-name-bytes.js';
import type { Logger } from './log.js';

/** An entry's type as a listing gives it (no `stat` needed). */
export type EntryType = 'file' | 'folder' | 'link' | 'other';

/** One entry of a listed folder. */
export interface ListedEntry {
  name: string;
  type: EntryType;
}

/** What Node puts in place of bytes that are not UTF-8 when it decodes a name. */
const REPLACEMENT_CHARACTER = '\uFFFD';

/** A listed entry's type, from what `readdir` tells of it. */
export const typeOf = (entry: Dirent<Buffer> | Dirent): EntryType =>
  entry.isDirectory() ? 'folder' : entry.isSymbolicLink() ? 'link' : entry.isFile() ? 'file' : 'other';

/** The names whose entry one listing has and the other has not, or has with another type. */
export function changedNames(before: ReadonlyMap<string, EntryType>, after: ReadonlyMap<string, EntryType>): string[] {
  const changed = [...after].filter(([name, type]) => before.get(name) !== type).map(([name]) => name);
  for (const name of before.keys()) if (!after.has(name)) changed.push(name);
  return changed;
}

/**
 * Lists folders with their names read as bytes: a name that is not valid UTF-8 is refused, with
 * one warning per path (its bytes escaped), however often it is listed.
 */
export class FolderLister {
  private readonly refused = new Set<string>();

  constructor(
    private readonly log: Logger,
    /** Names the watch in log lines: `<label> watch error`. */
    private readonly label: string,
  ) {}

  /** The folder's entries; undefined when it cannot be listed (said, unless it is gone). */
  async list(folder: string): Promise<ListedEntry[] | undefined> {
    try {
      // Names as text first: a third of the cost of a Buffer per name (a folder of 10,000
      // profiles is listed at start-up and at every resync). Node decodes a name that is not
      // valid UTF-8 with replacement characters; a folder with one is listed again as bytes.
      const texts = await readdir(folder, { withFileTypes: true });
      if (!texts.some((entry) => entry.name.includes(REPLACEMENT_CHARACTER)))
        return texts.map((entry) => ({ name: entry.name, type: typeOf(entry) }));
      const entries = await readdir(folder, { withFileTypes: true, encoding: 'buffer' });
      return entries.flatMap((entry) => {
        const name = this.textName(folder, entry.name);
        return name === undefined ? [] : [{ name, type: typeOf(entry) }];
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log.warn(`${this.label} watch error`, { folder, error: (error as Error).message });
      return undefined;
    }
  }

  /** The name as text; a name that is not valid UTF-8 is refused, with one warning per path. */
  textName(folder: string, name: Buffer): string | undefined {
    const text = nameAsText(name);
    if (text !== undefined) return text;
    const escaped = path.join(folder, escapedName(name));
    if (!this.refused.has(escaped)) {
      this.refused.add(escaped);
      this.log.warn('file name is not valid UTF-8; ignored', { path: escaped });
    }
    return undefined;
  }
}
