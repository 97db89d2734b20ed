// When each hold under way ends, kept in the state folder (`holds.json`), so that an engine that
// restarts goes on with the holds it had instead of starting them anew (leaving-devices.ts).
// Losing the file costs nothing but that: every absent device then gets a whole hold from the
// start, as before the file existed.
import path from 'node:path';
import { DurableMap } from '../core/durable-map.js';
import type { Logger } from '../core/log.js';
import { hasShape } from '../core/json-shape.js';
import type { HoldJournal, HoldTimes } from './leaving-devices.js';

export const HOLDS_FILE = 'holds.json';

const FORMAT_VERSION = 1;

const isHoldTimes = (value: unknown): value is HoldTimes =>
  hasShape(value, { since: 'string', until: 'string' }) && Number.isFinite(Date.parse(value.until as string));

export class HoldTimesFile implements HoldJournal {
  private readonly holds: DurableMap<HoldTimes>;
  private usable = false;

  constructor(
    stateDir: string,
    private readonly log: Logger,
  ) {
    this.holds = new DurableMap({
      file: path.join(stateDir, HOLDS_FILE),
      what: 'device holds',
      layout: { field: 'holds', version: FORMAT_VERSION },
      isEntry: isHoldTimes,
      whenDamaged: 'set-aside',
      log,
    });
  }

  /**
   * The holds the last run had under way, by device key; none when the file cannot be read (said
   * once). Until it has been read, nothing is written: a folder that cannot be read is not written
   * over.
   */
  async load(): Promise<ReadonlyMap<string, HoldTimes>> {
    try {
      await this.holds.load();
      this.usable = true;
      return new Map(this.holds.all());
    } catch (error) {
      this.log.warn('device holds of the last run unreadable; absent devices get a whole hold', {
        file: this.holds.file,
        error: (error as Error).message,
      });
      return new Map();
    }
  }

  set(key: string, times: HoldTimes): void {
    // A failed save is said (rate-limited) and tried again by the state file itself.
    if (this.usable) this.holds.set(key, times).catch(() => undefined);
  }

  delete(key: string): void {
    if (this.usable && this.holds.get(key)) this.holds.delete(key).catch(() => undefined);
  }

  /** Stops saving again on its own and waits for the write under way. */
  close(): Promise<void> {
    return this.holds.close();
  }
}
