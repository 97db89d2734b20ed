import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Payload } from '../backends/backend.js';
import { removeStaleTemporaries, syncFolder } from '../core/durable-file.js';
import { hasShape } from '../core/json-shape.js';
import { JsonStateFile, setAside } from '../core/json-state-file.js';
import type { Logger } from '../core/log.js';
import type { Facts } from '../core/facts.js';
import type { SerializedEntries } from '../core/state-file-layout.js';
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
 * per backend. The snapshot is a `JsonStateFile`; on top of it, a save appends the entries that
 * changed since the last one to a journal and flushes it with one `fdatasync`: no rewrite of the
 * whole state, no folder flush. Saves are serialized and coalesced (the deliveries that start
 * together share one flush): a `save()` resolves once a write that started after the call has
 * reached the disk. From time to time the journal is folded into the snapshot, written
 * atomically.
 *
 * What is read back survives damage: a torn last journal line (a write killed half-way) was
 * never acknowledged and is dropped; an entry of the wrong shape is dropped alone, with a
 * warning; a snapshot that cannot be read (or a folder in its place) is set aside. A save that
 * fails is retried on its own, with one warning a minute.
 */
export class StateStore {
  private readonly folder: string;
  private readonly journal: string;
  private readonly snapshotFile: JsonStateFile<HeldEntry>;
  /** Each entry's JSON as the disk holds it (snapshot plus journal), by key. */
  private written: SerializedEntries = new Map();
  private journalLines = 0;
  /** The journal may end in a part line (a failed append): fold it away before appending again. */
  private journalDamaged = false;
  private journalExists = false;
  /**
   * The snapshot's generation, written at the head of its journal: a journal left from before a
   * compaction (the engine died before removing it) is older than the snapshot and is not replayed.
   */
  private generation = 0;

  constructor(
    folder: string,
    snapshot: () => readonly HeldEntry[],
    private readonly log: Logger,
  ) {
    this.folder = folder;
    this.journal = path.join(folder, JOURNAL_FILE);
    this.snapshotFile = new JsonStateFile<HeldEntry>({
      file: path.join(folder, STATE_FILE),
      what: 'state',
      layout: { field: 'entries', version: STATE_VERSION, keyOf },
      isEntry: isHeldEntry,
      current: () => snapshot().map((entry) => [keyOf(entry), entry] as const),
      whenDamaged: 'set-aside',
      log,
      mode: 0o600,
      persist: (entries) => this.persist(entries),
    });
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
    this.written = this.snapshotFile.serialize(entries);
    return [...entries.values()];
  }

  private async replayJournal(entries: Map<string, HeldEntry>): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.journal, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EISDIR') throw error;
      await setAside(this.journal, 'a folder is where the state journal should be', this.log);
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
      else
        this.log.warn('state entry of the wrong shape; dropped', {
          file: this.journal,
          line: index + 1,
          entry: JSON.stringify(record?.entry ?? record).slice(0, 200),
        });
    }
    this.journalLines = lines.length;
  }

  async save(): Promise<void> {
    try {
      await this.snapshotFile.save();
    } catch (error) {
      throw new StateSaveError(`state not saved: ${(error as Error).message}`);
    }
  }

  /** Stops retrying a failed save (the caller saves one last time itself). */
  close(): void {
    this.snapshotFile.close();
  }

  /** Appends what changed since the last save to the journal, or folds everything into a new snapshot. */
  private async persist(now: SerializedEntries): Promise<void> {
    const lines: string[] = [];
    for (const [key, json] of now)
      if (this.written.get(key) !== json) lines.push(`{"key":${JSON.stringify(key)},"entry":${json}}`);
    for (const key of this.written.keys()) if (!now.has(key)) lines.push(`{"key":${JSON.stringify(key)},"entry":null}`);
    if (lines.length === 0 && !this.journalDamaged) return;
    if (this.journalDamaged || this.journalLines + lines.length > Math.max(COMPACT_AFTER, 4 * now.size))
      await this.compact(now);
    else await this.append(lines);
    this.written = now;
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
  private async compact(entries: SerializedEntries): Promise<void> {
    const generation = this.generation + 1;
    await this.snapshotFile.writeWhole(entries, { generation });
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
