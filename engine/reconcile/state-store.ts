import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Payload } from '../backends/backend.js';
import { writeFileAtomic } from '../durable-file.js';
import type { Logger } from '../log.js';
import type { Facts } from '../map/facts.js';
import type { NotifyEntry } from '../profiles/profile.js';

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

/**
 * The reconciler's persistent memory: every identifier this engine registered (or may have),
 * per backend. Saves are atomic, serialized and coalesced: a `save()` resolves once a write
 * that started after the call has reached the disk.
 */
export class StateStore {
  private readonly file: string;
  private writing: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(
    folder: string,
    private readonly snapshot: () => readonly HeldEntry[],
    private readonly log: Logger,
  ) {
    this.file = path.join(folder, 'reconciler.json');
  }

  /** Reads the saved entries; a missing file is an empty state, a corrupt one is set aside. */
  async load(): Promise<HeldEntry[]> {
    await mkdir(path.dirname(this.file), { recursive: true });
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    try {
      const data = JSON.parse(text) as { version: number; entries: HeldEntry[] };
      if (data.version !== STATE_VERSION || !Array.isArray(data.entries)) throw new Error(`unknown state version ${data.version}`);
      return data.entries;
    } catch (error) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, aside);
      this.log.error('state file unreadable; set aside, starting from an empty state', { file: this.file, movedTo: aside, error: (error as Error).message });
      return [];
    }
  }

  save(): Promise<void> {
    if (!this.writing) {
      this.writing = this.write().finally(() => (this.writing = undefined));
      return this.writing;
    }
    // A write is under way with older data: queue exactly one more, shared by all callers.
    this.next ??= this.writing.then(() => {
      this.next = undefined;
      return this.save();
    });
    return this.next;
  }

  private write(): Promise<void> {
    const data = JSON.stringify({ version: STATE_VERSION, entries: this.snapshot() }, null, 1);
    return writeFileAtomic(this.file, data, 0o600);
  }
}
