import type { Daemon } from '../daemon/daemon.js';
import type { DeliveryStatus } from '../reconcile/reconciler.js';
import { engineVersion } from '../core/version.js';
import { MetricsText, type StatusProvider } from './status-server.js';

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

/**
 * Devices that are gone but whose registrations are still being removed (or failing to be):
 * shown beside the present ones, with `present: false`, so that a failing deregistration is
 * visible.
 */
function pendingRemovals(daemon: Daemon, deliveries: readonly DeliveryStatus[]) {
  const present = new Set(daemon.desired.devices.map((device) => device.key));
  const gone = new Map<string, DeliveryStatus[]>();
  for (const delivery of deliveries) {
    if (present.has(delivery.deviceKey)) continue;
    const list = gone.get(delivery.deviceKey);
    if (list) list.push(delivery);
    else gone.set(delivery.deviceKey, [delivery]);
  }
  return [...gone].map(([key, held]) => ({ key, source: key.split(':')[0]!, present: false, profile: null, candidates: [], problems: [], deliveries: held }));
}

/** What the status server shows while the daemon is still starting. */
const STARTING_SUMMARY = (version: string, daemon: Daemon) => ({ name: 'device-profile-engine', version, ready: false, startedAt: daemon.startedAt.toISOString() });

/** What the status server shows of a running daemon. */
export function daemonStatus(daemon: Daemon): StatusProvider {
  const version = engineVersion();
  // The server starts first; until the reconciler exists there is nothing but "starting".
  const started = () => daemon.reconciler !== undefined && daemon.prober !== undefined;
  return {
    healthy: () => daemon.ready,
    summary: () => {
      if (!started()) return STARTING_SUMMARY(version, daemon);
      const issues = daemon.store.issues();
      const deliveries = daemon.reconciler.status();
      return {
        name: 'device-profile-engine',
        version,
        ready: daemon.ready,
        startedAt: daemon.startedAt.toISOString(),
        uptimeSeconds: Math.round((Date.now() - daemon.startedAt.getTime()) / 1000),
        profiles: { loaded: daemon.index.profiles.length, errors: issues.filter((issue) => issue.severity === 'error').length, warnings: issues.filter((issue) => issue.severity === 'warning').length },
        devices: { present: daemon.desired.devices.length, matched: daemon.desired.devices.filter((device) => device.match.winner).length },
        deliveries: Object.fromEntries(countBy(deliveries, (delivery) => delivery.state)),
        sources: daemon.sources.map((source) => source.status()),
      };
    },
    devices: () => {
      if (!started()) return [];
      const deliveries = daemon.reconciler.status();
      const present = daemon.desired.devices.map((device) => ({
        key: device.key,
        source: device.source,
        since: device.since,
        profile: device.match.winner?.profile.name ?? null,
        candidates: device.match.candidates,
        problems: device.problems,
        ...(device.notes && { notes: device.notes }),
        ...(device.source === 'serial' ? { probes: daemon.prober.records(device.key) } : {}),
        deliveries: deliveries.filter((delivery) => delivery.deviceKey === device.key),
        facts: device.facts,
      }));
      // Before every source has reported, a device not yet seen is not gone.
      return daemon.ready ? [...present, ...pendingRemovals(daemon, deliveries)] : present;
    },
    profiles: () => (!started() ? { loaded: [], files: [] } : {
      loaded: daemon.index.profiles.map(({ profile, file }) => ({ name: profile.name, file, description: profile.description ?? null, priority: profile.priority ?? 0, notify: profile.notify.map((entry) => entry.backend) })),
      files: daemon.store.files().map(({ file, issues, keptLastGood, inUse }) => ({ file, profile: inUse?.name ?? null, keptLastGood, issues })),
    }),
    metrics: () => {
      if (!started()) return daemon.deliveryMetrics.addTo(new MetricsText().add('engine_ready', 'gauge', 'Whether start-up is complete (1) or not (0).', [[{}, 0]]), { version }).toString();
      const deliveries = daemon.reconciler.status();
      const issues = daemon.store.issues();
      const split = (key: string) => key.split(' ') as [string, string];
      const text = new MetricsText()
        .add('engine_ready', 'gauge', 'Whether start-up is complete (1) or not (0).', [[{}, daemon.ready ? 1 : 0]])
        .add('engine_profiles_loaded', 'gauge', 'Profiles in use.', [[{}, daemon.index.profiles.length]])
        .add('engine_profile_issues', 'gauge', 'Problems in profile files, by severity.', (['error', 'warning'] as const).map((severity) => [{ severity }, issues.filter((issue) => issue.severity === severity).length]))
        .add('engine_devices', 'gauge', 'Devices present, by source.', [...countBy(daemon.inventory.devices(), (device) => device.source)].map(([source, count]) => [{ source }, count]))
        .add('engine_device_events_total', 'counter', 'Device events seen, by source and action.', [...daemon.events].map(([key, count]) => [{ source: split(key)[0], action: split(key)[1] }, count]))
        .add('engine_deliveries', 'gauge', 'Identifiers per backend, by delivery state.', [...countBy(deliveries, (delivery) => `${delivery.backend} ${delivery.state}`)].map(([key, count]) => [{ backend: split(key)[0], state: split(key)[1] }, count]))
        .add('engine_delivery_attempts_total', 'counter', 'Delivery attempts, by backend and outcome.', [...daemon.reconciler.outcomes].map(([key, count]) => [{ backend: split(key)[0], outcome: split(key)[1] }, count]))
        .add('engine_source_ready', 'gauge', 'Whether each source has reported the devices present at start-up.', daemon.sources.map((source) => { const status = source.status(); return [{ source: status.kind, mode: status.mode }, status.ready ? 1 : 0]; }))
        .add('engine_probes_total', 'counter', 'Serial probes that ended, by outcome.', [...daemon.prober.outcomes].map(([outcome, count]) => [{ outcome }, count]))
        .add('engine_devices_matched', 'gauge', 'Devices present that a profile matched.', [[{}, daemon.desired.devices.filter((device) => device.match.winner).length]]);
      return daemon.deliveryMetrics.addTo(text, { version }).toString();
    },
  };
}
