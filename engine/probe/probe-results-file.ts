import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../core/durable-file.js';
import type { Logger } from '../core/log.js';
import { RateLimitedWarning } from '../core/rate-limited-warning.js';
import type { ProbeSnapshot } from './prober.js';

/** Probe results kept in the state folder by the daemon (and read by `engine list`). */
export const PROBES_FILE = 'probes.json';

/**
 * The daemon's probe results on disk, so that a restart with the devices still there probes
 * nothing: read once at start, written atomically after every result, one write at a time.
 */
export class ProbeResultsFile {
  readonly file: string;
  private writing: Promise<void> = Promise.resolve();
  // A read-only or full state folder fails every save: said once a minute, not per result.
  private readonly warning: RateLimitedWarning;

  constructor(
    stateDir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(stateDir, PROBES_FILE);
    this.warning = new RateLimitedWarning(log, 'could not save probe results', 'probe results saved again');
  }

  /** The saved results; none when there are none or they cannot be read (said in the log). */
  async load(): Promise<ProbeSnapshot> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as ProbeSnapshot;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn('saved probe results unreadable; ports will be probed again', { file: this.file, error: (error as Error).message });
      return {};
    }
  }

  save(snapshot: ProbeSnapshot): void {
    const text = `${JSON.stringify(snapshot, null, 1)}\n`;
    this.writing = this.writing
      .then(() => mkdir(path.dirname(this.file), { recursive: true }))
      .then(() => writeFileAtomic(this.file, text))
      .then(
        () => this.warning.succeeded({ file: this.file }),
        (error: Error) => this.warning.failed({ file: this.file, error: error.message }),
      );
  }

  /** Resolves once the last save has landed. */
  flushed(): Promise<void> {
    return this.writing;
  }
}
