// What the NuvlaEdge agent does with a peripheral manager's channel (docs/backends/nuvlaedge-files.md, and
// nuvlaedge/nuvlaedge: broker/file_broker.py, agent/workers/peripheral_manager.py,
// peripherals/peripheral_manager_db.py), against a real folder: under the channel lock, list the
// buffer, fail the whole pass on a name the agent rejects, read and delete every snapshot, keep
// the valid entries with the time they were last reported, and forget those not reported for
// five minutes. A test calls `poll()` where the agent's 120-second loop (2.14+) would run. With
// `agentQuirks`, it also does what the real agent 2.19 was seen to do (docs/backends/nuvlaedge-files.md).
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '../../engine/core/log.js';
import { withFileLock } from '../../engine/backends/nuvlaedge/nuvlaedge-lock.js';

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
   * in one pass only the oldest is read and deleted, the others wait for later passes; a pass whose reports hold no valid entry (`{}`) changes
   * nothing, expiry included; a peripheral already held keeps the document it was added with
   * (changes are never pushed), cut to the fields of the agent's model (no `description`); an
   * empty `vendor`, `device-path`, `serial-number`, `video-device` or `raw-data-sample` makes
   * the model reject the entry; any other blank string, an empty asset list or a negative load
   * makes Nuvla answer 400, which aborts the whole pass (nothing of it is applied).
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

/** Nuvla refused a peripheral the agent sent, and the agent did not catch it: the pass is lost. */
export class NuvlaRefusedError extends Error {
  override readonly name = 'NuvlaRefusedError';
}

/** The fields the agent's peripheral model keeps; anything else (`description`) is dropped. */
const MODEL_FIELDS = [
  'identifier',
  'available',
  'classes',
  'name',
  'interface',
  'vendor',
  'product',
  'serial-number',
  'device-path',
  'video-device',
  'port',
  'local-data-gateway-endpoint',
  'data-gateway-enabled',
  'raw-data-sample',
  'additional-assets',
  'resources',
];

/** Fields the model itself refuses when empty. */
const MODEL_NON_EMPTY = ['vendor', 'device-path', 'serial-number', 'video-device', 'raw-data-sample'];

const isBlank = (value: unknown) => typeof value === 'string' && value.trim() === '';

/** What Nuvla answers 400 to in a document the model let through, or undefined. */
function nuvlaRefusal(document: Record<string, unknown>): string | undefined {
  for (const [field, value] of Object.entries(document)) {
    if (isBlank(value)) return `${field} is blank`;
    if (field === 'classes' && Array.isArray(value) && value.some(isBlank)) return 'a class is blank';
  }
  const assets = document['additional-assets'] as Record<string, unknown> | undefined;
  for (const list of Object.values(assets ?? {}))
    if (Array.isArray(list) && (list.length === 0 || list.some(isBlank)))
      return 'an additional-assets list is empty or has a blank item';
  for (const resource of (document['resources'] as Record<string, unknown>[] | undefined) ?? []) {
    if (isBlank(resource['unit']) || isBlank(resource['capacity'])) return 'a resource unit or capacity is blank';
    if (typeof resource['load'] === 'number' && resource['load'] < 0) return 'a resource load is negative';
  }
  return undefined;
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
  const [month, day, year, hours, minutes, seconds] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const time = new Date(year, month - 1, day, hours, minutes, seconds);
  return time.getMonth() === month - 1 && time.getDate() === day && hours < 24 && minutes < 60 && seconds < 60
    ? time
    : undefined;
}

/** Why an entry is not a peripheral the agent accepts, or undefined when it is. */
function entryProblem(document: unknown, model = false): string | undefined {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return 'not an object';
  const { identifier, available, classes } = document as Record<string, unknown>;
  if (typeof identifier !== 'string' || identifier === '') return 'identifier missing or not a string';
  if (typeof available !== 'boolean') return 'available missing or not a boolean';
  if (!Array.isArray(classes)) return 'classes missing or not a list';
  if (model)
    for (const field of MODEL_NON_EMPTY)
      if ((document as Record<string, unknown>)[field] === '') return `${field} is empty`;
  return undefined;
}

/** The document cut to the agent's model. */
function modelOf(document: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(document).filter(([field]) => MODEL_FIELDS.includes(field)));
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
    if (
      !(await stat(this.channel).then(
        (stats) => stats.isDirectory(),
        () => false,
      ))
    )
      return [];
    const lock = path.join(this.channel, `${this.options.managerName}.lock`);
    const read = await withFileLock(lock, { timeoutMs: 30_000, log: silent }, () => this.consumeBuffer());
    this.consumed.push(...read);
    const reports = this.options.agentQuirks ? read.slice(0, 1) : read;
    const now = (this.options.now ?? Date.now)();
    if (this.options.agentQuirks) this.checkWithNuvla(reports);
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
    // The real agent takes (and deletes) only the oldest file of a pass; the rest wait.
    for (const { name, time } of this.options.agentQuirks ? dated.slice(0, 1) : dated) {
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

  /**
   * Throws what the pass dies of when Nuvla refuses a new peripheral: the agent adds each new one
   * with its own request and catches no 400, so nothing of the pass is applied.
   */
  private checkWithNuvla(reports: ReadSnapshot[]): void {
    for (const snapshot of reports) {
      if (typeof snapshot.data !== 'object' || snapshot.data === null) continue;
      for (const [identifier, document] of Object.entries(snapshot.data as Record<string, unknown>)) {
        if (this.peripherals.has(identifier) || entryProblem(document, true)) continue;
        const refusal = nuvlaRefusal(modelOf(document as Record<string, unknown>));
        if (refusal) throw new NuvlaRefusedError(`Nuvla answered 400 for ${identifier}: ${refusal}`);
      }
    }
  }

  /** Takes a snapshot's valid entries; returns their identifiers. */
  private take(snapshot: ReadSnapshot, now: number): string[] {
    if (typeof snapshot.data !== 'object' || snapshot.data === null || Array.isArray(snapshot.data)) {
      this.rejected.push({ file: snapshot.name, identifier: '', reason: 'the snapshot is not an object' });
      return [];
    }
    const taken: string[] = [];
    for (const [identifier, document] of Object.entries(snapshot.data)) {
      const quirks = this.options.agentQuirks === true;
      const problem = entryProblem(document, quirks);
      if (problem) {
        this.rejected.push({ file: snapshot.name, identifier, reason: problem });
        continue;
      }
      const held = this.peripherals.get(identifier);
      const kept = quirks
        ? (held?.document ?? modelOf(document as Record<string, unknown>))
        : (document as Record<string, unknown>);
      this.peripherals.set(identifier, { document: kept, lastReported: now });
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
