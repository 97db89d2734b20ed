import type { Daemon } from '../daemon.js';
import { engineVersion } from '../version.js';
import { MetricsText, type StatusProvider } from './status-server.js';

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

/** What the status server shows of a running daemon. */
export function daemonStatus(daemon: Daemon): StatusProvider {
  const version = engineVersion();
  return {
    healthy: () => daemon.ready,
    summary: () => {
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
      const deliveries = daemon.reconciler.status();
      return daemon.desired.devices.map((device) => ({
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
    },
    profiles: () => ({
      loaded: daemon.index.profiles.map(({ profile, file }) => ({ name: profile.name, file, description: profile.description ?? null, priority: profile.priority ?? 0, notify: profile.notify.map((entry) => entry.backend) })),
      files: daemon.store.files().map(({ file, issues, keptLastGood, inUse }) => ({ file, profile: inUse?.name ?? null, keptLastGood, issues })),
    }),
    metrics: () => {
      const deliveries = daemon.reconciler.status();
      const issues = daemon.store.issues();
      const split = (key: string) => key.split(' ') as [string, string];
      return new MetricsText()
        .add('engine_ready', 'gauge', 'Whether start-up is complete (1) or not (0).', [[{}, daemon.ready ? 1 : 0]])
        .add('engine_profiles_loaded', 'gauge', 'Profiles in use.', [[{}, daemon.index.profiles.length]])
        .add('engine_profile_issues', 'gauge', 'Problems in profile files, by severity.', (['error', 'warning'] as const).map((severity) => [{ severity }, issues.filter((issue) => issue.severity === severity).length]))
        .add('engine_devices', 'gauge', 'Devices present, by source.', [...countBy(daemon.inventory.devices(), (device) => device.source)].map(([source, count]) => [{ source }, count]))
        .add('engine_device_events_total', 'counter', 'Device events seen, by source and action.', [...daemon.events].map(([key, count]) => [{ source: split(key)[0], action: split(key)[1] }, count]))
        .add('engine_deliveries', 'gauge', 'Identifiers per backend, by delivery state.', [...countBy(deliveries, (delivery) => `${delivery.backend} ${delivery.state}`)].map(([key, count]) => [{ backend: split(key)[0], state: split(key)[1] }, count]))
        .add('engine_delivery_attempts_total', 'counter', 'Delivery attempts, by backend and outcome.', [...daemon.reconciler.outcomes].map(([key, count]) => [{ backend: split(key)[0], outcome: split(key)[1] }, count]))
        .add('engine_source_ready', 'gauge', 'Whether each source has reported the devices present at start-up.', daemon.sources.map((source) => { const status = source.status(); return [{ source: status.kind, mode: status.mode }, status.ready ? 1 : 0]; }))
        .toString();
    },
  };
}
