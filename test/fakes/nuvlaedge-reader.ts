// What the NuvlaEdge agent does with a peripheral manager's channel (reference/backends.md §2, and
// nuvlaedge/nuvlaedge: broker/file_broker.py, agent/workers/peripheral_manager.py,
// peripherals/peripheral_manager_db.py), against a real folder: under the channel lock, list the
// buffer, fail the whole pass on a name the agent rejects, read and delete every snapshot, keep
// the valid entries with the time they were last reported, and forget those not reported for
// five minutes. A test calls `poll()` where the agent's 30-second loop would run.
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '../../engine/log.js';
import { withFileLock } from '../../engine/backends/nuvlaedge-lock.js';

/** FileBroker.FILE_PATTERN, which the agent applies with `re.match` (anchored at the start only). */
export const AGENT_FILE_PATTERN = /^[a-zA-Z0-9]*_[a-zA-Z0-9]*.json$/;

/** How the reader behaves. */
export interface ReaderOptions {
  root: string;
  /** The channel folder under `<root>/.peripherals/`. */
  managerName: string;
  /** A peripheral not reported for longer than this is dropped. Default 5 minutes, as the agent. */
  expiryMs?: number;
  /** The clock, so that a test can make time pass. */
  now?: () => number;
  /**
   * Also reproduce what the agent's code does beyond its documented contract: of the files read
   * in one pass only the oldest counts, and a pass whose reports hold no valid entry (`{}`)
   * changes nothing, expiry included.
   */
  agentQuirks?: boolean;
}

/** One snapshot file as read. */
export interface ReadSnapshot {
  name: string;
  time: Date;
  data: unknown;
}

export interface HeldPeripheral {
  document: Record<string, unknown>;
  /** `now()` of the last pass that reported it. */
  lastReported: number;
}

export interface RejectedEntry {
  file: string;
  identifier: string;
  reason: string;
}

/** A buffer entry the agent fails on (bad name, bad time, not JSON): the whole pass is lost. */
export class BufferEntryError extends Error {
  override readonly name = 'BufferEntryError';
}

const silent = createLogger('error', () => {});

/** The time in `<MMDDYYYYhhmmss>_<sender>.json`, as `strptime(..., '%m%d%Y%H%M%S')` reads it. */
export function snapshotTime(name: string): Date | undefined {
  const match = /^(\d{2})(\d{2})(\d{4})(\d{2})(\d{2})(\d{2})_/.exec(name);
  if (!match) return undefined;
  const [month, day, year, hours, minutes, seconds] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const time = new Date(year, month - 1, day, hours, minutes, seconds);
  return time.getMonth() === month - 1 && time.getDate() === day && hours < 24 && minutes < 60 && seconds < 60 ? time : undefined;
}

/** Why an entry is not a peripheral the agent accepts, or undefined when it is. */
function entryProblem(document: unknown): string | undefined {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return 'not an object';
  const { identifier, available, classes } = document as Record<string, unknown>;
  if (typeof identifier !== 'string' || identifier === '') return 'identifier missing or not a string';
  if (typeof available !== 'boolean') return 'available missing or not a boolean';
  if (!Array.isArray(classes)) return 'classes missing or not a list';
  return undefined;
}

export class NuvlaedgeReader {
  /** The agent's view: identifier → the document last reported, with when. */
  readonly peripherals = new Map<string, HeldPeripheral>();
  /** Every snapshot read, in the order read. */
  readonly consumed: ReadSnapshot[] = [];
  readonly rejected: RejectedEntry[] = [];

  constructor(private readonly options: ReaderOptions) {}

  get channel(): string {
    return path.join(this.options.root, '.peripherals', this.options.managerName);
  }

  /** The documents held, by identifier. */
  view(): Record<string, Record<string, unknown>> {
    return Object.fromEntries([...this.peripherals].map(([identifier, held]) => [identifier, held.document]));
  }

  /** One pass of the agent's loop; returns the snapshots read in it, oldest first. */
  async poll(): Promise<ReadSnapshot[]> {
    // The agent skips a channel that is not a folder (yet).
    if (!(await stat(this.channel).then((stats) => stats.isDirectory(), () => false))) return [];
    const lock = path.join(this.channel, `${this.options.managerName}.lock`);
    const read = await withFileLock(lock, { timeoutMs: 30_000, log: silent }, () => this.consumeBuffer());
    this.consumed.push(...read);
    const reports = this.options.agentQuirks ? read.slice(0, 1) : read;
    const now = (this.options.now ?? Date.now)();
    const reported = new Set<string>();
    for (const snapshot of reports) for (const identifier of this.take(snapshot, now)) reported.add(identifier);
    if (!this.options.agentQuirks || reported.size > 0) this.expire(now, reported);
    return read;
  }

  private async consumeBuffer(): Promise<ReadSnapshot[]> {
    const buffer = path.join(this.channel, 'buffer');
    const names = await readdir(buffer).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const dated = names.map((name) => {
      const time = AGENT_FILE_PATTERN.test(name) ? snapshotTime(name) : undefined;
      if (!time) throw new BufferEntryError(`${name}: not a <MMDDYYYYhhmmss>_<sender>.json name`);
      return { name, time };
    });
    dated.sort((a, b) => a.time.getTime() - b.time.getTime() || a.name.localeCompare(b.name));
    const read: ReadSnapshot[] = [];
    for (const { name, time } of dated) {
      const file = path.join(buffer, name);
      const text = await readFile(file, 'utf8');
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        throw new BufferEntryError(`${name}: not JSON: ${JSON.stringify(text.slice(0, 80))}`);
      }
      await unlink(file);
      read.push({ name, time, data });
    }
    return read;
  }

  /** Takes a snapshot's valid entries; returns their identifiers. */
  private take(snapshot: ReadSnapshot, now: number): string[] {
    if (typeof snapshot.data !== 'object' || snapshot.data === null || Array.isArray(snapshot.data)) {
      this.rejected.push({ file: snapshot.name, identifier: '', reason: 'the snapshot is not an object' });
      return [];
    }
    const taken: string[] = [];
    for (const [identifier, document] of Object.entries(snapshot.data)) {
      const problem = entryProblem(document);
      if (problem) {
        this.rejected.push({ file: snapshot.name, identifier, reason: problem });
        continue;
      }
      this.peripherals.set(identifier, { document: document as Record<string, unknown>, lastReported: now });
      taken.push(identifier);
    }
    return taken;
  }

  private expire(now: number, reported: ReadonlySet<string>): void {
    const expiryMs = this.options.expiryMs ?? 5 * 60_000;
    for (const [identifier, held] of this.peripherals) {
      if (!reported.has(identifier) && now - held.lastReported > expiryMs) this.peripherals.delete(identifier);
    }
  }
}
