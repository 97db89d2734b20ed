import path from 'node:path';
import { hasShape } from '../core/json-shape.js';
import { isPlainObject } from '../core/plain-object.js';
import { JsonStateFile } from '../core/json-state-file.js';
import type { Logger } from '../core/log.js';
import type { ProbeSnapshot } from './prober.js';

/** Probe results kept in the state folder by the daemon (and read by `engine list`). */
export const PROBES_FILE = 'probes.json';

type PortResults = ProbeSnapshot[string];

/** Whether a remembered outcome is one the prober could have given; another makes the port probed again. */
function isOutcome(value: unknown): boolean {
  if (!hasShape(value, { kind: 'string' })) return false;
  if (value['kind'] === 'matched') return isPlainObject(value['facts']);
  return ['no-match', 'busy', 'failed'].includes(value['kind'] as string) && typeof value['reason'] === 'string';
}

/** Whether a saved value has the shape of one port's results; anything else is dropped alone. */
const isPortResults = (value: unknown): value is PortResults =>
  hasShape(value, { path: 'string', fingerprint: 'string', results: 'object' }) &&
  Object.values(value['results'] as Record<string, unknown>).every(
    (result) => hasShape(result, { at: 'string', outcome: 'object' }) && isOutcome(result['outcome']),
  );

/**
 * The daemon's probe results on disk, so that a restart with the devices still there probes
 * nothing: read once at start, written atomically after every result, one write at a time.
 */
export class ProbeResultsFile {
  readonly file: string;
  private latest: ProbeSnapshot = {};
  private readonly stateFile: JsonStateFile<PortResults>;

  constructor(
    stateDir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(stateDir, PROBES_FILE);
    this.stateFile = new JsonStateFile({
      file: this.file,
      what: 'probe results',
      // The results by device key are the whole file.
      layout: {},
      isEntry: isPortResults,
      current: () => Object.entries(this.latest),
      whenDamaged: 'set-aside',
      log,
    });
  }

  /** The saved results (the daemon's start); none when there are none or they cannot be read (said in the log). */
  async load(): Promise<ProbeSnapshot> {
    try {
      return Object.fromEntries((await this.stateFile.load()).entries);
    } catch (error) {
      this.log.warn('saved probe results unreadable; ports will be probed again', {
        file: this.file,
        error: (error as Error).message,
      });
      return {};
    }
  }

  /** The saved results without changing anything on disk (`engine list`); none when they cannot be read. */
  async read(): Promise<ProbeSnapshot> {
    try {
      return Object.fromEntries((await this.stateFile.read()).entries);
    } catch {
      // No daemon has run with this state folder, or it has nothing to say: nothing remembered.
      return {};
    }
  }

  /** Saves the results in the background; a failure is warned about once a minute and tried again. */
  save(snapshot: ProbeSnapshot): void {
    this.latest = snapshot;
    void this.stateFile.save().catch(() => {});
  }

  /** Resolves once the last save has landed. */
  flushed(): Promise<void> {
    return this.stateFile.flushed();
  }
}
