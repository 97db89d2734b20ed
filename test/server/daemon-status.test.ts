import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeliveryStatus } from '../../engine/reconcile/reconciler.js';
import { daemonStatus, type DaemonSnapshot } from '../../engine/server/daemon-status.js';
import { DeliveryMetrics } from '../../engine/server/delivery-metrics.js';

const delivery = (backend: string, identifier: string, state: DeliveryStatus['state']): DeliveryStatus => ({
  backend,
  identifier,
  deviceKey: `file:/dev/${identifier}`,
  state,
  failures: state === 'retrying' ? 2 : 0,
});

test('deliveries are counted by backend and state, each label whole (a backend name with a space too)', () => {
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
      inventory: [],
      events: new Map(),
      sources: [],
      deliveries: [
        delivery('nuvlabox', 'a', 'acknowledged'),
        delivery('web hook', 'b', 'retrying'),
        delivery('nuvlabox', 'c', 'acknowledged'),
        delivery('web hook', 'd', 'acknowledged'),
      ],
      deliveryOutcomes: new Map(),
      probeRecords: () => [],
      probeOutcomes: new Map(),
    },
  };
  try {
    const lines = daemonStatus(() => snapshot)
      .metrics()
      .split('\n')
      .filter((line) => line.startsWith('engine_deliveries{'));
    assert.deepEqual(lines, [
      'engine_deliveries{backend="nuvlabox",state="acknowledged"} 2',
      'engine_deliveries{backend="web hook",state="retrying"} 1',
      'engine_deliveries{backend="web hook",state="acknowledged"} 1',
    ]);
  } finally {
    deliveryMetrics.close();
  }
});
