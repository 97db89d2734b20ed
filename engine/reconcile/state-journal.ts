// The reconciler's journal: one JSON line per changed entry, appended after the snapshot it
// belongs to. Appending and flushing are separate steps, so that a request can go once its record
// is written (the page cache survives the engine's own crash) while the flush runs beside it.
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { syncFolder } from '../core/durable-file.js';

/** What a journal held, as read at start. */
export interface JournalReading {
  /**
   * `current`: its head names the snapshot's generation. `stale`: an older generation, folded into
   * the snapshot already (the engine died before removing it). `untrusted`: the head is not a
   * generation record, or names a generation the snapshot never had.
   */
  head: 'current' | 'stale' | 'untrusted';
  /** The records that could be read, in order: key and entry (`null`: gone). */
  records: { key: string; entry: unknown; line: number }[];
  /** Lines (1-based, the head being line 1) that are not records, the torn last one aside. */
  unreadable: number[];
  /** The last line has no newline: a write cut short. It was never acknowledged, and is dropped. */
  torn: boolean;
}

const GENERATION_HEAD = /^\{"generation":(\d+)\}$/;

/** The line that opens a journal written over the snapshot of `generation`. */
export const journalHead = (generation: number) => `{"generation":${generation}}`;

/** Reads a journal's text against the snapshot's generation; nothing in it is trusted blindly. */
export function readJournal(text: string, generation: number): JournalReading {
  const lines = text.split('\n');
  // The text ends with a newline when the last append was whole.
  const torn = lines.pop() !== '';
  const headGeneration = GENERATION_HEAD.exec(lines[0] ?? '')?.[1];
  const head =
    headGeneration === undefined || Number(headGeneration) > generation
      ? 'untrusted'
      : Number(headGeneration) < generation
        ? 'stale'
        : 'current';
  const records: JournalReading['records'] = [];
  const unreadable: number[] = [];
  for (const [index, line] of lines.entries()) {
    if (index === 0 && head !== 'untrusted') continue;
    const record = parseRecord(line);
    if (record) records.push({ ...record, line: index + 1 });
    else if (!(index === 0 && GENERATION_HEAD.test(line))) unreadable.push(index + 1);
  }
  return { head, records, unreadable, torn };
}

function parseRecord(line: string): { key: string; entry: unknown } | undefined {
  try {
    const record = JSON.parse(line) as unknown;
    if (typeof record !== 'object' || record === null) return undefined;
    const { key, entry } = record as Record<string, unknown>;
    return typeof key === 'string' && entry !== undefined ? { key, entry } : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the journal's text; `undefined` when there is none. Other errors (a folder in its place) throw. */
export async function readJournalText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The journal file, kept open for appending. `append` resolves once every byte is written (a
 * short write, as a full disk gives, is an error: the rest is never silently dropped); `sync`
 * flushes what was written before it was called, and syncs asked for while one runs share the
 * next one (group commit).
 */
export class JournalFile {
  private handle: FileHandle | undefined;
  /** A new file's name must reach the disk too, once. */
  private folderUnsynced = false;
  private syncing: Promise<void> | undefined;
  private nextSync: Promise<void> | undefined;

  constructor(
    readonly file: string,
    private readonly folder: string,
  ) {}

  /** Appends lines, with the head first when the file is new; throws unless all of it was written. */
  async append(lines: readonly string[], generation: number, exists: boolean): Promise<void> {
    if (!this.handle) {
      this.handle = await open(this.file, 'a', 0o600);
      if (!exists) this.folderUnsynced = true;
    }
    const text = `${[...(exists ? [] : [journalHead(generation)]), ...lines].join('\n')}\n`;
    // A short write (a nearly full disk) is followed by another for the rest, which throws ENOSPC
    // when nothing more fits: a lone write() would return the short count and drop the rest.
    const bytes = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < bytes.length;) {
      const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
      if (bytesWritten === 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      offset += bytesWritten;
    }
  }

  /** Resolves once what was appended before the call is on disk. */
  sync(): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.syncOnce().finally(() => (this.syncing = undefined));
      return this.syncing;
    }
    // A flush is under way, maybe started before the caller's append: queue exactly one more.
    this.nextSync ??= this.syncing.then(
      () => this.startNextSync(),
      () => this.startNextSync(),
    );
    return this.nextSync;
  }

  private startNextSync(): Promise<void> {
    this.nextSync = undefined;
    return this.sync();
  }

  private async syncOnce(): Promise<void> {
    // No handle: the journal was folded into a snapshot, which is flushed by its own write.
    if (this.handle) await this.handle.datasync();
    if (this.folderUnsynced) {
      this.folderUnsynced = false;
      await syncFolder(this.folder).catch((error: unknown) => {
        this.folderUnsynced = true;
        throw error;
      });
    }
  }

  /** Closes the file once the flushes under way are over. */
  async close(): Promise<void> {
    while (this.syncing ?? this.nextSync) await (this.nextSync ?? this.syncing)!.catch(() => {});
    const handle = this.handle;
    this.handle = undefined;
    this.folderUnsynced = false;
    await handle?.close();
  }

  /** Closes and removes the file (its entries are in a new snapshot). */
  async remove(): Promise<void> {
    await this.close();
    await rm(this.file, { force: true });
  }
}
