import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * How finely the delay is sampled while the engine works: Node's sampler is a timer that fires
 * every `RESOLUTION_MS`, which is why it runs only then.
 */
const RESOLUTION_MS = 20;

/** How long sampling goes on after the last sign of work, to see the delay that work left behind. */
export const SAMPLE_AFTER_WORK_MS = 5_000;

/**
 * The event-loop delay while the engine works. Sampling it always would wake an idle daemon 50
 * times a second (Node's sampler is a timer), so it runs from a sign of work (a device event, a
 * delivery) until `sampleAfterWorkMs` (default `SAMPLE_AFTER_WORK_MS`) passed without one; an idle engine then sleeps until
 * something happens. The figures are over every period of work since start.
 */
export class BusyLoopDelay {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private lastWorkAt = 0;
  private stopTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly sampleAfterWorkMs = SAMPLE_AFTER_WORK_MS) {}

  /** Something is being worked on: sample until it has been quiet for a while. */
  working(): void {
    if (this.closed) return;
    this.lastWorkAt = performance.now();
    if (this.stopTimer) return;
    this.histogram.enable();
    this.stopAfter(this.sampleAfterWorkMs);
  }

  /** Whether the delay is being sampled now. */
  get sampling(): boolean {
    return this.stopTimer !== undefined;
  }

  /** Mean delay in seconds; 0 before any work. */
  get meanSeconds(): number {
    return Number.isNaN(this.histogram.mean) ? 0 : this.histogram.mean / 1e9;
  }

  /** Largest delay seen, in seconds. */
  get maxSeconds(): number {
    return this.histogram.max / 1e9;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.stopTimer);
    this.stopTimer = undefined;
    this.histogram.disable();
  }

  /** One timer per quiet period, rather than one reset per sign of work (a burst has thousands). */
  private stopAfter(ms: number): void {
    this.stopTimer = setTimeout(() => {
      const quietFor = performance.now() - this.lastWorkAt;
      if (quietFor < this.sampleAfterWorkMs) return this.stopAfter(this.sampleAfterWorkMs - quietFor);
      this.stopTimer = undefined;
      this.histogram.disable();
    }, ms);
    // Sampling is no reason to keep the process alive.
    this.stopTimer.unref();
  }
}
