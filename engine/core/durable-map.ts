import { JsonStateFile, type JsonStateFileOptions } from './json-state-file.js';

/**
 * Entries by key held in memory and kept in a `JsonStateFile`: a change resolves once it is on
 * disk. For a store that owns all its entries and saves on every change (balena uuids, link
 * records); nothing is read or changed before the file has been loaded.
 */
export class DurableMap<T> {
  private readonly entries = new Map<string, T>();
  private readonly stateFile: JsonStateFile<T>;
  private loaded: Promise<void> | undefined;

  constructor(options: Omit<JsonStateFileOptions<T>, 'current' | 'persist'>) {
    this.stateFile = new JsonStateFile({ ...options, current: () => this.entries });
  }

  get file(): string {
    return this.stateFile.file;
  }

  /** Reads the file once it can be read: a load that failed is tried again at the next call. */
  load(): Promise<void> {
    this.loaded ??= this.stateFile.load().then(
      ({ entries }) => {
        for (const [key, entry] of entries) this.entries.set(key, entry);
      },
      (error: unknown) => {
        this.loaded = undefined;
        throw error;
      },
    );
    return this.loaded;
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  /** Every key and entry, in the order they were first set. */
  all(): [string, T][] {
    return [...this.entries];
  }

  /** Stores `entry` (a new object, never one changed in place) and resolves once it is on disk. */
  set(key: string, entry: T): Promise<void> {
    this.entries.set(key, entry);
    return this.stateFile.save();
  }

  delete(key: string): Promise<void> {
    this.entries.delete(key);
    return this.stateFile.save();
  }

  /** Stops saving again on its own and waits for the write under way. */
  async close(): Promise<void> {
    this.stateFile.close();
    await this.stateFile.flushed();
  }
}
