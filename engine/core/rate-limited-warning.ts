import type { Logger } from './log.js';

/** How often one persisting problem is said again. */
const EVERY_MS = 60_000;

/**
 * One warning for a problem that persists (a read-only or full state folder, callers a hook
 * server refuses), said at most once a minute however often it is met, with how many times it
 * was met since; and one line when it is over, for a problem that has an end to report.
 */
export class RateLimitedWarning {
  private lastSaidAt: number | undefined;
  private since = 0;

  constructor(
    private readonly log: Logger,
    private readonly message: string,
    private readonly recovered: string | undefined,
    /** The field of the warning that counts the times the problem was met since the last one. */
    private readonly countField = 'failuresSinceLastWarning',
  ) {}

  /** The problem was met again. */
  failed(fields: Record<string, unknown>): void {
    this.since += 1;
    const now = Date.now();
    if (this.lastSaidAt !== undefined && now - this.lastSaidAt < EVERY_MS) return;
    this.log.warn(this.message, { ...fields, [this.countField]: this.since });
    this.lastSaidAt = now;
    this.since = 0;
  }

  /** The operation worked: if it had been failing, say so once. */
  succeeded(fields: Record<string, unknown> = {}): void {
    if (this.lastSaidAt === undefined) return;
    if (this.recovered !== undefined) this.log.info(this.recovered, fields);
    this.lastSaidAt = undefined;
    this.since = 0;
  }
}
