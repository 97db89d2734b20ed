import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Payload } from '../backends/backend.js';
import { removeStaleTemporaries, syncFolder, writeFileAtomic } from '../core/durable-file.js';
import type { Logger } from '../core/log.js';
import { RateLimitedWarning } from '../core/rate-limited-warning.js';
import type { Facts } from '../core/facts.js';
import type { NotifyEntry } from '../profiles/profile.js';
import { entryKey } from './desired-state.js';

/** What the engine knows a backend holds (or may hold) under one identifier. */
export interface HeldEntry {
  backend: string;
  identifier: string;
  notify: NotifyEntry;
  profile: string;
  deviceKey: string;
  /** The device's facts at the last request: a delete, sent once the device is gone, carries them. */
  facts?: Facts;
  /** The payload the backend last acknowledged, and what it returned then. */
  acknowledged?: { payload: Payload; remote?: Record<string, unknown>; at: string };
  /**
   * Written before a request is sent: the request may have reached the backend even if the
   * engine dies before the answer, so the backend may hold this identifier.
   */
  sending?: { payload: Payload; since: string };
  /**
   * Written before a delete is sent: the backend may no longer hold the identifier even if the
   * engine dies before the answer, so the acknowledgement above can no longer be trusted.
   */
  deleting?: { since: string };
}

const STATE_VERSION = 1;

/** The snapshot: every entry, rewritten whole only when the journal is compacted. */
export const STATE_FILE = 'reconciler.json';
/** Changes since the snapshot, one JSON line per changed entry (`entry: null`: gone). */
export const JOURNAL_FILE = 'reconciler.journal';

/** A journal longer than this many lines (and than four times the entries) is folded into the snapshot. */
const COMPACT_AFTER = 1000;
/** How soon a save that failed (read-only or full folder) is tried again on its own. */
const RETRY_SAVE_MS = 5000;

/** Whether a saved value has the shape of an entry; anything else is dropped alone. */
function isHeldEntry(value: unknown): value is HeldEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entry = value as Record<string, unknown>;
  return (
    ['backend', 'identifier', 'profile', 'deviceKey'].every((field) => typeof entry[field] === 'string') &&
    typeof entry.notify === 'object' &&
    entry.notify !== null &&
    ['acknowledged', 'sending', 'deleting', 'facts'].every((field) => entry[field] === undefined || (typeof entry[field] === 'object' && entry[field] !== null))
  );
}

const keyOf = (entry: HeldEntry) => entryKey(entry.backend, entry.identifier);

/** The state could not be saved (the store has already said so, at most once a minute). */
export class StateSaveError extends Error {
  override readonly name = 'StateSaveError';
}

/**
 * The reconciler's persistent memory: every identifier this engine registered (or may have),
 * per backend. A save appends the entries that changed since the last one to a journal and
 * flushes it with one `fdatasync`: no rewrite of the whole state, no folder flush. Saves are
 * serialized and coalesced (the deliveries that start together share one flush): a `save()`
 * resolves once a write that started after the call has reached the disk. From time to time the
 * journal is folded into the snapshot, written atomically.
 *
 * What is read back survives damage: a torn last journal line (a write killed half-way) was
 * never acknowledged and is dropped; an entry of the wrong shape is dropped alone, with a
 * warning; a snapshot that cannot be read (or a folder in its place) is set aside. A save that
 * fails is retried on its own, with one warning a minute.
 */
export class StateStore {
  private readonly folder: string;
  private readonly file: string;
  private readonly journal: string;
  private writing: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /** Each entry's JSON as the disk holds it (snapshot plus journal), by key. */
  private written = new Map<string, string>();
  private journalLines = 0;
  /** The journal may end in a part line (a failed append): fold it away before appending again. */
  private journalDamaged = false;
  private journalExists = false;
  /**
   * The snapshot's generation, written at the head of its journal: a journal left from before a
   * compaction (the engine died before removing it) is older than the snapshot and is not replayed.
   */
  private generation = 0;
  private retry: NodeJS.Timeout | undefined;
  private readonly warning: RateLimitedWarning;

  constructor(
    folder: string,
    private readonly snapshot: () => readonly HeldEntry[],
    private readonly log: Logger,
  ) {
    this.folder = folder;
    this.file = path.join(folder, STATE_FILE);
    this.journal = path.join(folder, JOURNAL_FILE);
    this.warning = new RateLimitedWarning(log, 'could not save state; trying again', 'state saved again');
  }

  /** Reads the saved entries; a missing file is an empty state. */
  async load(): Promise<HeldEntry[]> {
    await mkdir(this.folder, { recursive: true });
    const removed = await removeStaleTemporaries(this.folder);
    if (removed.length > 0) this.log.info('removed temporary files of interrupted writes', { folder: this.folder, files: removed });
    const entries = new Map<string, HeldEntry>();
    for (const entry of await this.readSnapshot()) entries.set(keyOf(entry), entry);
    await this.replayJournal(entries);
    this.written = new Map([...entries].map(([key, entry]) => [key, JSON.stringify(entry)]));
    return [...entries.values()];
  }

  private async readSnapshot(): Promise<HeldEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return [];
      if (code !== 'EISDIR') throw error;
      return this.setAside(this.file, 'a folder is where the state file should be');
    }
    let data: { version?: unknown; entries?: unknown };
    try {
      data = JSON.parse(text) as typeof data;
      if (typeof data !== 'object' || data === null || data.version !== STATE_VERSION || !Array.isArray(data.entries)) throw new Error(`unknown state version ${String(data?.version)}`);
    } catch (error) {
      return this.setAside(this.file, (error as Error).message);
    }
    this.generation = typeof (data as { generation?: unknown }).generation === 'number' ? (data as { generation: number }).generation : 0;
    return this.keepWellFormed(data.entries as unknown[], this.file);
  }

  private async replayJournal(entries: Map<string, HeldEntry>): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.journal, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EISDIR') throw error;
      await this.setAside(this.journal, 'a folder is where the state journal should be');
      return;
    }
    this.journalExists = true;
    const lines = text.split('\n');
    // The text ends with a newline when the last append was whole.
    const torn = lines.pop() !== '';
    if (torn) this.journalDamaged = true;
    const head = lines.shift();
    if (head === undefined || head !== `{"generation":${this.generation}}`) {
      // Older than the snapshot (or no head at all): folded in already, or never whole.
      this.journalDamaged = true;
      return;
    }
    for (const [index, line] of lines.entries()) {
      let record: { key?: unknown; entry?: unknown };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        this.journalDamaged = true;
        this.log.warn('state journal line unreadable; dropped', { file: this.journal, line: index + 1 });
        continue;
      }
      if (record?.entry === null && typeof record.key === 'string') entries.delete(record.key);
      else if (isHeldEntry(record?.entry)) entries.set(keyOf(record.entry), record.entry);
      else this.log.warn('state entry of the wrong shape; dropped', { file: this.journal, line: index + 1, entry: JSON.stringify(record?.entry ?? record).slice(0, 200) });
    }
    this.journalLines = lines.length;
  }

  private keepWellFormed(entries: unknown[], file: string): HeldEntry[] {
    return entries.filter((entry, index): entry is HeldEntry => {
      if (isHeldEntry(entry)) return true;
      this.log.warn('state entry of the wrong shape; dropped', { file, index, entry: JSON.stringify(entry ?? null).slice(0, 200) });
      return false;
    });
  }

  private async setAside(file: string, reason: string): Promise<HeldEntry[]> {
    const aside = `${file}.corrupt-${Date.now()}`;
    await rename(file, aside);
    this.log.error('state file unreadable; set aside, starting from an empty state', { file, movedTo: aside, error: reason });
    return [];
  }

  save(): Promise<void> {
    if (!this.writing) {
      this.writing = this.write().finally(() => (this.writing = undefined));
      return this.writing;
    }
    // A write is under way with older data: queue exactly one more, shared by all callers.
    this.next ??= this.writing.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.next;
  }

  private startNext(): Promise<void> {
    this.next = undefined;
    return this.save();
  }

  /** Stops retrying a failed save (the caller saves one last time itself). */
  close(): void {
    clearTimeout(this.retry);
  }

  private async write(): Promise<void> {
    const entries = this.snapshot();
    const now = new Map(entries.map((entry) => [keyOf(entry), JSON.stringify(entry)]));
    const lines: string[] = [];
    for (const [key, json] of now) if (this.written.get(key) !== json) lines.push(`{"key":${JSON.stringify(key)},"entry":${json}}`);
    for (const key of this.written.keys()) if (!now.has(key)) lines.push(`{"key":${JSON.stringify(key)},"entry":null}`);
    if (lines.length === 0 && !this.journalDamaged) return;
    try {
      if (this.journalDamaged || this.journalLines + lines.length > Math.max(COMPACT_AFTER, 4 * now.size)) await this.compact(entries);
      else await this.append(lines);
      this.written = now;
      clearTimeout(this.retry);
      this.retry = undefined;
      this.warning.succeeded({ file: this.file });
    } catch (error) {
      this.warning.failed({ folder: this.folder, error: (error as Error).message });
      clearTimeout(this.retry);
      this.retry = setTimeout(() => void this.save().catch(() => {}), RETRY_SAVE_MS);
      this.retry.unref();
      throw new StateSaveError(`state not saved: ${(error as Error).message}`);
    }
  }

  private async append(lines: string[]): Promise<void> {
    const handle = await open(this.journal, 'a', 0o600);
    const head = this.journalExists ? [] : [`{"generation":${this.generation}}`];
    try {
      await handle.write(`${[...head, ...lines].join('\n')}\n`);
      await handle.datasync();
    } catch (error) {
      // Part of the lines may be on disk: the next save rewrites the snapshot instead.
      this.journalDamaged = true;
      throw error;
    } finally {
      await handle.close();
    }
    if (!this.journalExists) {
      // A new file's name must reach the disk too, once.
      await syncFolder(this.folder);
      this.journalExists = true;
    }
    this.journalLines += lines.length;
  }

  /** Writes every entry into a new snapshot, then empties the journal (replaying it again would change nothing). */
  private async compact(entries: readonly HeldEntry[]): Promise<void> {
    const generation = this.generation + 1;
    await writeFileAtomic(this.file, JSON.stringify({ version: STATE_VERSION, generation, entries }, null, 1), 0o600);
    this.generation = generation;
    await rm(this.journal, { force: true });
    this.journalExists = false;
    this.journalLines = 0;
    this.journalDamaged = false;
  }
}

/** The entries a state folder holds, as the engine would read them at start (for tests and tools). */
export async function readSavedState(folder: string, log: Logger): Promise<HeldEntry[]> {
  const store = new StateStore(folder, () => [], log);
  return store.load();
}
