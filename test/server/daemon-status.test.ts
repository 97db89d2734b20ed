import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeliveryStatus } from '../../engine/reconcile/reconciler.js';
import { daemonStatus, type DaemonSnapshot } from '../../engine/server/daemon-status.js';
import { DeliveryMetrics } from '../../engine/server/delivery-metrics.js';
import { PairCounts } from '../../engine/core/pair-counts.js';

const delivery = (backend: string, identifier: string, state: DeliveryStatus['state']): DeliveryStatus => ({
  backend,
  identifier,
  deviceKey: `file:/dev/${identifier}`,
  state,
  failures: state === 'retrying' ? 2 : 0,
});

test('deliveries and attempts are counted by backend and state or outcome, each label whole (a backend name with a space too)', () => {
  const deliveryMetrics = new DeliveryMetrics();
  const snapshot: DaemonSnapshot = {
    startedAt: new Date(),
    ready: true,
    deliveryMetrics,
    running: {
      profiles: [],
      profileFiles: [],
      profileIssues: [],
      devices: [],
      leaving: [],
      inventory: [],
      events: new PairCounts(),
      sources: [],
      deliveries: [
        delivery('nuvlabox', 'a', 'acknowledged'),
        delivery('web hook', 'b', 'retrying'),
        delivery('nuvlabox', 'c', 'acknowledged'),
        delivery('web hook', 'd', 'acknowledged'),
      ],
      deliveryOutcomes: PairCounts.of(
        [
          { backend: 'web hook', outcome: 'retry' },
          { backend: 'web hook', outcome: 'acknowledged' },
          { backend: 'web hook', outcome: 'retry' },
        ],
        (attempt) => attempt.backend,
        (attempt) => attempt.outcome,
      ),
      probeRecords: () => [],
      probeOutcomes: new Map(),
    },
  };
  try {
    const lines = daemonStatus(() => snapshot)
      .metrics()
      .split('\n')
      .filter((line) => /^engine_deliver(ies|y_attempts_total)\{/.test(line));
    assert.deepEqual(lines, [
      'engine_deliveries{backend="nuvlabox",state="acknowledged"} 2',
      'engine_deliveries{backend="web hook",state="retrying"} 1',
      'engine_deliveries{backend="web hook",state="acknowledged"} 1',
      'engine_delivery_attempts_total{backend="web hook",outcome="retry"} 2',
      'engine_delivery_attempts_total{backend="web hook",outcome="acknowledged"} 1',
    ]);
  } finally {
    deliveryMetrics.close();
  }
});
