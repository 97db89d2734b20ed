import { BusyLoopDelay, SAMPLE_AFTER_WORK_MS } from './busy-loop-delay.js';
import type { MetricsText } from './status-server.js';

/** Upper bounds, in seconds, of the delivery-latency histogram's buckets. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface BackendFigures {
  /** Attempt counts per bucket (not cumulative), the last one being +Inf. */
  buckets: number[];
  sum: number;
  count: number;
  lastAcknowledgedAt?: number;
}

/**
 * What the status server's `/metrics` adds about delivery and the process itself: a latency
 * histogram and the time of the last acknowledged delivery per backend (fed by the reconciler's
 * `observe`), memory, CPU and event-loop lag while the engine works.
 */
export class DeliveryMetrics {
  private readonly backends = new Map<string, BackendFigures>();
  private readonly loopDelay = new BusyLoopDelay();

  /** The engine is working (a device event, a profile change): the event-loop delay is sampled for a while. */
  working(): void {
    this.loopDelay.working();
  }

  /** One delivery attempt ended with `outcome` after `elapsedMs`. */
  observe(backend: string, outcome: string, elapsedMs: number): void {
    this.loopDelay.working();
    let figures = this.backends.get(backend);
    if (!figures) {
      figures = { buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      this.backends.set(backend, figures);
    }
    const seconds = elapsedMs / 1000;
    const bucket = LATENCY_BUCKETS.findIndex((bound) => seconds <= bound);
    figures.buckets[bucket === -1 ? LATENCY_BUCKETS.length : bucket]!++;
    figures.sum += seconds;
    figures.count++;
    if (outcome === 'acknowledged') figures.lastAcknowledgedAt = Date.now();
  }

  /** Adds the delivery and process families to `text`. */
  addTo(text: MetricsText, build: { version: string }): MetricsText {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const histogram: [Record<string, string>, number][] = [];
    for (const [backend, figures] of this.backends) {
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((bound, index) => {
        cumulative += figures.buckets[index]!;
        histogram.push([{ backend, le: String(bound) }, cumulative]);
      });
      histogram.push([{ backend, le: '+Inf' }, figures.count]);
    }
    return text
      .add('engine_build_info', 'gauge', 'The engine build: version and Node.js version (always 1).', [
        [{ version: build.version, node: process.version }, 1],
      ])
      .add('engine_process_resident_memory_bytes', 'gauge', 'Resident set size.', [[{}, memory.rss]])
      .add('engine_process_heap_used_bytes', 'gauge', 'V8 heap in use.', [[{}, memory.heapUsed]])
      .add('engine_process_cpu_seconds_total', 'counter', 'CPU time used, user and system.', [
        [{ mode: 'user' }, cpu.user / 1e6],
        [{ mode: 'system' }, cpu.system / 1e6],
      ])
      .add(
        'engine_event_loop_lag_seconds',
        'gauge',
        `Event-loop delay while the engine worked (sampled from a device event or delivery until ${SAMPLE_AFTER_WORK_MS / 1000} s without one): mean and the largest seen.`,
        [
          [{ stat: 'mean' }, this.loopDelay.meanSeconds],
          [{ stat: 'max' }, this.loopDelay.maxSeconds],
        ],
      )
      .add(
        'engine_last_delivery_timestamp_seconds',
        'gauge',
        'When a delivery to each backend was last acknowledged (Unix time).',
        [...this.backends].flatMap(([backend, figures]) =>
          figures.lastAcknowledgedAt
            ? [[{ backend }, figures.lastAcknowledgedAt / 1000] as [Record<string, string>, number]]
            : [],
        ),
      )
      .addHistogram(
        'engine_delivery_duration_seconds',
        'How long delivery attempts took, by backend.',
        histogram,
        [...this.backends].map(([backend, figures]) => [{ backend }, figures.sum, figures.count]),
      );
  }

  /** Stops sampling the event loop. */
  close(): void {
    this.loopDelay.close();
  }
}
