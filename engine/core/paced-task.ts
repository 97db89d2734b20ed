/**
 * A task that many callers ask for and that runs once for all of them: on the next turn of the
 * event loop, or, when its last run took a while, that long after the last run ended. Work whose
 * cost grows with what is present (the daemon's recompute looks at every device) then takes at
 * most about half the engine's time in a burst, and what is asked for meanwhile is done in one
 * run; a run that takes a millisecond never waits.
 */
export class PacedTask {
  private scheduled = false;
  /** The earliest the next run may start, in `now()` time. */
  private nextAt = 0;

  constructor(
    private readonly task: () => void,
    private readonly now: () => number = () => performance.now(),
    /** Calls `start` after `ms` milliseconds; a test passes one it fires itself. */
    private readonly after: (ms: number, start: () => void) => void = (ms, start) => setTimeout(start, ms),
  ) {}

  /** Asks for a run; runs already asked for and not started yet answer for this one too. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const start = () => {
      this.scheduled = false;
      this.run();
    };
    const wait = this.nextAt - this.now();
    if (wait >= 1) this.after(wait, start);
    else setImmediate(start);
  }

  /** Runs the task now (a run asked for stays asked for), and paces the next run by this one. */
  run(): void {
    const started = this.now();
    try {
      this.task();
    } finally {
      const ended = this.now();
      this.nextAt = ended + (ended - started);
    }
  }
}
