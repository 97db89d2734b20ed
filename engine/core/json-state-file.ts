// One JSON file in the state folder holding one kind of entry by key: how every store of the
// engine keeps what it must remember across restarts (the reconciler's snapshot, probe results,
// balena uuids, link records, the NuvlaEdge set). What is read back survives damage, a save
// survives a crash, and a folder that cannot be written is said once a minute, not per save.
import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './durable-file.js';
import { isPlainObject } from './plain-object.js';
import type { Logger } from './log.js';
import { RateLimitedWarning } from './rate-limited-warning.js';
import { layoutText, type SerializedEntries, type StateFileLayout } from './state-file-layout.js';

/** What a file held: its entries by key, and its other top-level fields (`version` and the entries' field aside). */
export interface LoadedState<T> {
  entries: Map<string, T>;
  fields: Record<string, unknown>;
}

export interface JsonStateFileOptions<T> {
  file: string;
  /** What the entries are, for log lines ("probe results"). */
  what: string;
  layout: StateFileLayout<T>;
  /** Whether a saved value has the shape of an entry; anything else is dropped alone, with a warning. */
  isEntry: (value: unknown) => value is T;
  /**
   * The entries to save now. Entries are values: a changed one is replaced, never changed in
   * place, so the JSON text of an entry that is the same object as at the last save is reused.
   */
  current: () => Iterable<readonly [string, T]>;
  /**
   * A file that cannot be parsed or holds no entries of this layout: `set-aside` renames it and
   * starts empty; `refuse` makes every load fail until someone fixes it, for entries that cannot
   * be lost without registering something twice. A folder in the file's place is set aside
   * either way: no store of ours wrote it.
   */
  whenDamaged: 'set-aside' | 'refuse';
  log: Logger;
  /** The file's mode when created. */
  mode?: number;
  /** Writes the entries some other way than rewriting the file whole (the reconciler's journal). */
  persist?: (entries: SerializedEntries) => Promise<void>;
}

/** The state file is there but cannot be read as one of ours: nothing may be written over it. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';

  constructor(
    message: string,
    /** A folder is where the file should be. */
    readonly folderInPlace = false,
  ) {
    super(message);
  }
}

/** How soon a save that failed (read-only or full folder) is tried again on its own. */
const RETRY_SAVE_MS = 5000;

/** Moves a damaged state file (or a folder in its place) aside, next to where it was, and says so. */
export async function setAside(file: string, reason: string, log: Logger): Promise<void> {
  const aside = `${file}.corrupt-${Date.now()}`;
  await rename(file, aside);
  log.error('state file unreadable; set aside, starting from an empty state', { file, movedTo: aside, error: reason });
}

/**
 * A store's durable JSON file. `load()` reads it: a missing file is no entries; an entry of the
 * wrong shape is dropped alone, with a warning; a damaged file is set aside or refused (see
 * `whenDamaged`). `save()` writes what `current()` gives, atomically and flushed to disk, one
 * write at a time: saves asked for while one is under way share the next write, and a `save()`
 * resolves once a write that started after the call is on disk. A save that fails rejects with
 * the file system's error and is tried again on its own, with one warning a minute. Nothing is
 * written before a load has succeeded: a file that was not read is never written over.
 */
export class JsonStateFile<T> {
  readonly file: string;
  private readonly warning: RateLimitedWarning;
  private loaded = false;
  private writing: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  /** The JSON text of each entry at the last save, and the entry it was made from. */
  private texts: SerializedEntries = new Map<string, string>();
  private sources = new Map<string, T>();

  constructor(private readonly options: JsonStateFileOptions<T>) {
    this.file = options.file;
    this.warning = new RateLimitedWarning(
      options.log,
      `could not save ${options.what}; trying again`,
      `${options.what} saved again`,
    );
  }

  /** The entries, without changing anything on disk; a damaged file throws a `StateFileError`. */
  async read(): Promise<LoadedState<T>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { entries: new Map(), fields: {} };
      if (code === 'EISDIR') throw new StateFileError('a folder is where the state file should be', true);
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new StateFileError(`not JSON: ${(error as Error).message}`);
    }
    return this.entriesOf(parsed);
  }

  private entriesOf(parsed: unknown): LoadedState<T> {
    const { field, version, keyOf } = this.options.layout;
    if (!isPlainObject(parsed)) throw new StateFileError('not a JSON object');
    const { version: found, ...fields } = field === undefined ? {} : parsed;
    if (field !== undefined && version !== undefined && found !== version)
      throw new StateFileError(`unknown state version ${String(found)}`);
    const container = field === undefined ? parsed : fields[field];
    if (field !== undefined) delete fields[field];
    if (keyOf ? !Array.isArray(container) : !isPlainObject(container))
      throw new StateFileError(`holds no "${field ?? 'entries'}" ${keyOf ? 'list' : 'object'}`);
    const entries = new Map<string, T>();
    const saved: [string | number, unknown][] = keyOf
      ? [...(container as unknown[]).entries()]
      : Object.entries(container as Record<string, unknown>);
    for (const [where, value] of saved) {
      if (this.options.isEntry(value)) entries.set(keyOf ? keyOf(value) : String(where), value);
      else this.dropped(keyOf ? { index: where } : { key: where }, value);
    }
    return { entries, fields };
  }

  private dropped(where: Record<string, unknown>, value: unknown): void {
    this.options.log.warn('state entry of the wrong shape; dropped', {
      file: this.file,
      ...where,
      entry: JSON.stringify(value ?? null).slice(0, 200),
    });
  }

  /** Reads the entries (see `whenDamaged` for a damaged file); from then on, saves may write. */
  async load(): Promise<LoadedState<T>> {
    let state: LoadedState<T>;
    try {
      state = await this.read();
    } catch (error) {
      if (!(error instanceof StateFileError)) throw error;
      if (this.options.whenDamaged === 'refuse' && !error.folderInPlace)
        throw new StateFileError(`${this.file}: ${error.message}; fix or remove it`);
      await setAside(this.file, error.message, this.options.log);
      state = { entries: new Map(), fields: {} };
    }
    this.serialize(state.entries);
    this.loaded = true;
    return state;
  }

  /**
   * The entries' JSON texts, made anew only for entries that are not the same objects as last
   * time. The map returned is never changed afterwards: an owner may keep it as what it wrote.
   */
  serialize(entries: Iterable<readonly [string, T]>): SerializedEntries {
    const texts = new Map<string, string>();
    const sources = new Map<string, T>();
    for (const [key, entry] of entries) {
      texts.set(key, (this.sources.get(key) === entry ? this.texts.get(key) : undefined) ?? JSON.stringify(entry));
      sources.set(key, entry);
    }
    this.texts = texts;
    this.sources = sources;
    return texts;
  }

  /** Replaces the file with these entries (and top-level fields), atomically. */
  async writeWhole(entries: SerializedEntries, fields: Record<string, unknown> = {}): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, layoutText(this.options.layout, entries, fields), this.options.mode);
  }

  save(): Promise<void> {
    if (!this.writing) {
      this.writing = this.write().finally(() => (this.writing = undefined));
      return this.writing;
    }
    // A write is under way with older entries: queue exactly one more, shared by all callers.
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

  /** Resolves once no save is under way or queued, whether it worked or not. */
  async flushed(): Promise<void> {
    while (this.writing ?? this.next) await (this.next ?? this.writing)!.catch(() => {});
  }

  /** Stops trying a failed save again on its own (the owner saves one last time itself, if it wants). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.retry = undefined;
  }

  private async write(): Promise<void> {
    if (!this.loaded) throw new StateFileError(`${this.file} was not read: nothing is written over it`);
    try {
      const entries = this.serialize(this.options.current());
      await (this.options.persist ? this.options.persist(entries) : this.writeWhole(entries));
    } catch (error) {
      this.warning.failed({ file: this.file, error: (error as Error).message });
      this.retryLater();
      throw error;
    }
    clearTimeout(this.retry);
    this.retry = undefined;
    this.warning.succeeded({ file: this.file });
  }

  private retryLater(): void {
    clearTimeout(this.retry);
    if (this.closed) return;
    this.retry = setTimeout(() => void this.save().catch(() => {}), RETRY_SAVE_MS);
    this.retry.unref();
  }
}
