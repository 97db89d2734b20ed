import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BusyLoopDelay } from '../../engine/server/busy-loop-delay.js';
import { DeliveryMetrics } from '../../engine/server/delivery-metrics.js';
import { MetricsText } from '../../engine/server/status-server.js';
import { waitFor } from '../daemon/engine-process.js';

/** Keeps the thread busy for `ms`, as a long synchronous piece of work does. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test('the event-loop delay is sampled only from a sign of work until a quiet period has passed', async () => {
  const delay = new BusyLoopDelay(200);
  try {
    assert.equal(delay.sampling, false, 'nothing is sampled before any work: an idle engine sleeps');
    assert.deepEqual([delay.meanSeconds, delay.maxSeconds], [0, 0]);
    delay.working();
    assert.equal(delay.sampling, true);
    // Work that holds the loop: the sampler's timer fires late, and that is what it records.
    await new Promise((resolve) => setTimeout(resolve, 50));
    block(150);
    delay.working();
    await waitFor('the sampling to stop after the quiet period', () => !delay.sampling, 20_000);
    assert.ok(delay.maxSeconds > 0.05, `largest delay ${delay.maxSeconds} s after a 150 ms block`);
    delay.working();
    assert.equal(delay.sampling, true, 'new work samples again');
  } finally {
    delay.close();
  }
  assert.equal(delay.sampling, false);
  delay.working();
  assert.equal(delay.sampling, false, 'closed: nothing starts it again');
});

test('delivery metrics sample the event loop only once work is reported', async () => {
  const metrics = new DeliveryMetrics();
  const lag = () =>
    /^engine_event_loop_lag_seconds\{stat="max"\} (\S+)$/m.exec(
      metrics.addTo(new MetricsText(), { version: 't' }).toString(),
    )?.[1];
  try {
    await new Promise((resolve) => setTimeout(resolve, 50));
    block(150);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(lag(), '0', 'a blocked loop with no work reported is not sampled');
    metrics.observe('stdout', 'acknowledged', 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    block(150);
    await waitFor('a delay to be recorded', () => Number(lag()) > 0.05, 20_000);
  } finally {
    metrics.close();
  }
});
