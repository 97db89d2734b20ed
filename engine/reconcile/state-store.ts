import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Payload } from '../backends/backend.js';
import { removeStaleTemporaries } from '../core/durable-file.js';
import { hasShape } from '../core/json-shape.js';
import { JsonStateFile, setAside } from '../core/json-state-file.js';
import type { Logger } from '../core/log.js';
import type { Facts } from '../core/facts.js';
import { RateLimitedWarning } from '../core/rate-limited-warning.js';
import type { NotifyEntry } from '../profiles/profile.js';
import { entryKey } from './desired-state.js';
import { JournalFile, readJournal, readJournalText } from './state-journal.js';

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

/** How soon a write that failed (read-only or full folder) is tried again on its own. */
const RETRY_WRITE_MS = 5000;

/** Whether a saved value has the shape of an entry; anything else is dropped alone. */
const isHeldEntry = (value: unknown): value is HeldEntry =>
  hasShape(value, {
    backend: 'string',
    identifier: 'string',
    profile: 'string',
    deviceKey: 'string',
    notify: 'object',
    acknowledged: 'object?',
    sending: 'object?',
    deleting: 'object?',
    facts: 'object?',
  });

const keyOf = (entry: HeldEntry) => entryKey(entry.backend, entry.identifier);

/** The state could not be saved (the store has already said so, at most once a minute). */
export class StateSaveError extends Error {
  override readonly name = 'StateSaveError';
}

/**
 * The reconciler's persistent memory: every identifier this engine registered (or may have),
 * per backend, read from the owner's map of entries. The snapshot is a `JsonStateFile`; on top of
 * it, the owner says which keys `changed` and `write()` appends just those entries to a journal:
 * no rewrite of the whole state, no pass over the entries that did not change. `write()` resolves
 * once every byte is in the file (page cache, which survives the engine's own crash); `sync()`
 * once it is on disk (a power cut). Writes and flushes are each serialized and coalesced: what
 * is asked for while one runs shares the next one. From time to time the journal is folded into
 * the snapshot, written atomically.
 *
 * What is read back survives damage: a torn last journal line (a write cut short) was never
 * acknowledged and is dropped; an entry of the wrong shape is dropped alone, with a warning; a
 * snapshot that cannot be read (or a folder in its place) is set aside; a journal whose head or
 * lines cannot be trusted is read as far as it can be, then set aside, with an error line. A
 * write that fails is retried on its own, with one warning a minute.
 */
export class StateStore {
  private readonly folder: string;
  private readonly journal: JournalFile;
  private readonly snapshotFile: JsonStateFile<HeldEntry>;
  private readonly warning: RateLimitedWarning;
  /** Keys whose entries changed since the last write. */
  private readonly changedKeys = new Set<string>();
  private journalLines = 0;
  /** The journal may end in a part line (a failed write or flush): fold it away before appending again. */
  private journalDamaged = false;
  /** The journal holds lines that could not be read: it is set aside, not removed, when folded away. */
  private journalUntrusted = false;
  private journalExists = false;
  /**
   * The snapshot's generation, written at the head of its journal: a journal left from before a
   * compaction (the engine died before removing it) is older than the snapshot and is not replayed.
   */
  private generation = 0;
  private writing: Promise<void> | undefined;
  private nextWrite: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    folder: string,
    /** The owner's entries by key, read when a changed key is written and when the journal is folded. */
    private readonly entries: ReadonlyMap<string, HeldEntry>,
    private readonly log: Logger,
  ) {
    this.folder = folder;
    this.journal = new JournalFile(path.join(folder, JOURNAL_FILE), folder);
    this.snapshotFile = new JsonStateFile<HeldEntry>({
      file: path.join(folder, STATE_FILE),
      what: 'state',
      layout: { field: 'entries', version: STATE_VERSION, keyOf },
      isEntry: isHeldEntry,
      current: () => entries,
      whenDamaged: 'set-aside',
      log,
      mode: 0o600,
    });
    this.warning = new RateLimitedWarning(log, 'could not save state; trying again', 'state saved again');
  }

  /**
   * Reads the saved entries; a missing file is an empty state. The reconciler's store loads
   * first, before any backend writes to the folder: it removes the temporaries of writes killed
   * half-way by an earlier run.
   */
  async load(): Promise<HeldEntry[]> {
    await mkdir(this.folder, { recursive: true });
    const removed = await removeStaleTemporaries(this.folder);
    if (removed.length > 0)
      this.log.info('removed temporary files of interrupted writes', { folder: this.folder, files: removed });
    const { entries, fields } = await this.snapshotFile.load();
    this.generation = typeof fields['generation'] === 'number' ? fields['generation'] : 0;
    await this.replayJournal(entries);
    return [...entries.values()];
  }

  /** Whether the journal read at load must be folded into a new snapshot before anything else. */
  get needsRepair(): boolean {
    return this.journalDamaged;
  }

  private async replayJournal(entries: Map<string, HeldEntry>): Promise<void> {
    let text: string | undefined;
    try {
      text = await readJournalText(this.journal.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EISDIR') throw error;
      await setAside(this.journal.file, 'a folder is where the state journal should be', this.log);
      return;
    }
    if (text === undefined) return;
    this.journalExists = true;
    const reading = readJournal(text, this.generation);
    this.journalDamaged = reading.torn || reading.head !== 'current' || reading.unreadable.length > 0;
    // Folded in already: replaying it would bring back what the snapshot changed since.
    if (reading.head === 'stale') return;
    for (const { key, entry, line } of reading.records) {
      if (entry === null) entries.delete(key);
      else if (isHeldEntry(entry)) entries.set(keyOf(entry), entry);
      else
        this.log.warn('state entry of the wrong shape; dropped', {
          file: this.journal.file,
          line,
          entry: JSON.stringify(entry).slice(0, 200),
        });
    }
    this.journalLines = reading.records.length;
    if (reading.head === 'untrusted' || reading.unreadable.length > 0) {
      // Dropping the journal would make the engine's own registrations look like someone else's:
      // what can be read is used, and the file is kept aside for whoever looks into it.
      this.journalUntrusted = true;
      this.log.error('state journal damaged; what could be read is used, the file is set aside', {
        file: this.journal.file,
        headTrusted: reading.head !== 'untrusted',
        unreadableLines: reading.unreadable.slice(0, 20),
        recordsRead: reading.records.length,
      });
    }
  }

  /** Says that the owner's entry under `key` changed (or is gone): the next write appends it. */
  changed(key: string): void {
    this.changedKeys.add(key);
  }

  /**
   * Writes the changed entries: resolves once every byte is in the file, rejects with a
   * `StateSaveError` (and tries again on its own) when not. A write asked for while one runs
   * shares the next one.
   */
  write(): Promise<void> {
    // Nothing changed since the write under way took its keys: that write is the one to wait for.
    if (this.writing && !this.nextWrite && this.changedKeys.size === 0) return this.writing;
    if (!this.writing) {
      this.writing = this.writeOnce().finally(() => (this.writing = undefined));
      return this.writing;
    }
    this.nextWrite ??= this.writing.then(
      () => this.startNextWrite(),
      () => this.startNextWrite(),
    );
    return this.nextWrite;
  }

  private startNextWrite(): Promise<void> {
    this.nextWrite = undefined;
    return this.write();
  }

  /** Resolves once what was written before the call is on disk; a failure makes the next write a compaction. */
  async sync(): Promise<void> {
    try {
      await this.journal.sync();
    } catch (error) {
      this.journalDamaged = true;
      this.failed(error);
    }
  }

  /** Writes the changed entries and flushes them to disk. */
  async save(): Promise<void> {
    await this.write();
    await this.sync();
  }

  /** Stops retrying a failed write (the caller saves one last time itself). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.retry = undefined;
  }

  /** Closes the journal file once the last save is over. */
  async release(): Promise<void> {
    await this.journal.close();
  }

  private async writeOnce(): Promise<void> {
    const keys = [...this.changedKeys];
    this.changedKeys.clear();
    try {
      if (this.journalDamaged || this.journalLines + keys.length > Math.max(COMPACT_AFTER, 4 * this.entries.size))
        await this.compact();
      else if (keys.length > 0) await this.append(keys);
    } catch (error) {
      for (const key of keys) this.changedKeys.add(key);
      this.failed(error);
    }
    clearTimeout(this.retry);
    this.retry = undefined;
    this.warning.succeeded({ file: this.journal.file });
  }

  private async append(keys: readonly string[]): Promise<void> {
    // Made now, before any wait: what changes later is written by the next write.
    const lines = keys.map((key) => {
      const entry = this.entries.get(key);
      return `{"key":${JSON.stringify(key)},"entry":${entry ? JSON.stringify(entry) : 'null'}}`;
    });
    try {
      await this.journal.append(lines, this.generation, this.journalExists);
    } catch (error) {
      // Part of the lines may be in the file: the next write rewrites the snapshot instead.
      this.journalDamaged = true;
      throw error;
    }
    this.journalExists = true;
    this.journalLines += lines.length;
  }

  /** Writes every entry into a new snapshot, then empties the journal (replaying it again would change nothing). */
  private async compact(): Promise<void> {
    const entries = this.snapshotFile.serialize(this.entries);
    const generation = this.generation + 1;
    await this.snapshotFile.writeWhole(entries, { generation });
    this.generation = generation;
    if (this.journalUntrusted) {
      // Said with an error line when it was read; kept for whoever looks into it.
      await this.journal.close();
      const aside = `${this.journal.file}.corrupt-${Date.now()}`;
      await rename(this.journal.file, aside);
      this.log.info('damaged state journal folded into the snapshot and set aside', { movedTo: aside });
    } else await this.journal.remove();
    this.journalExists = false;
    this.journalLines = 0;
    this.journalDamaged = false;
    this.journalUntrusted = false;
  }

  private failed(error: unknown): never {
    this.warning.failed({ file: this.journal.file, error: (error as Error).message });
    clearTimeout(this.retry);
    if (!this.closed) {
      this.retry = setTimeout(() => void this.write().catch(() => {}), RETRY_WRITE_MS);
      this.retry.unref();
    }
    throw new StateSaveError(`state not saved: ${(error as Error).message}`);
  }
}

/** The entries a state folder holds, as the engine would read them at start (for tests and tools). */
export async function readSavedState(folder: string, log: Logger): Promise<HeldEntry[]> {
  const store = new StateStore(folder, new Map(), log);
  return store.load();
}
