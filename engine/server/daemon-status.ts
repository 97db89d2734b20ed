import type { ProfileIssue } from '../core/errors.js';
import type { Device } from '../inventory/inventory.js';
import type { ProbeRecord } from '../probe/prober.js';
import type { ProfileFileState } from '../profiles/profile-store.js';
import type { LoadedProfile } from '../profiles/profile.js';
import type { DeviceView } from '../reconcile/desired-state.js';
import type { LeavingDevice } from '../reconcile/leaving-devices.js';
import type { DeliveryStatus } from '../reconcile/reconciler.js';
import type { SourceStatus } from '../sources/source.js';
import type { DeliveryMetrics } from './delivery-metrics.js';
import type { DeviceStatus, ProfilesStatus, StatusSummary } from './status-data.js';
import { engineVersion } from '../core/version.js';
import { MetricsText, type StatusProvider } from './status-server.js';
import { PairCounts } from '../core/pair-counts.js';

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

/** What the status server reads of the daemon, taken afresh for every request; read each field once. */
export interface DaemonSnapshot {
  startedAt: Date;
  /** Whether start-up is complete. */
  ready: boolean;
  /** Delivery latency and the process figures, kept from the first moment. */
  deliveryMetrics: DeliveryMetrics;
  /** Absent until the reconciler and the prober exist: the daemon is then only "starting". */
  running?: RunningSnapshot;
}

/** What a daemon that has started its parts holds. */
export interface RunningSnapshot {
  profiles: readonly LoadedProfile[];
  profileFiles: readonly ProfileFileState[];
  profileIssues: readonly ProfileIssue[];
  /** The devices present with their matches and problems. */
  devices: readonly DeviceView[];
  /** Devices gone within their hold: their registrations are kept in case they come back. */
  leaving: readonly LeavingDevice[];
  /** The devices as the sources reported them, whether matched or not. */
  inventory: readonly Device[];
  /** Device events seen, by source and action. */
  events: PairCounts;
  sources: readonly SourceStatus[];
  deliveries: readonly DeliveryStatus[];
  /** Delivery attempts by `backend outcome`. */
  deliveryOutcomes: PairCounts;
  probeRecords(deviceKey: string): ProbeRecord[];
  /** Serial probes that ended, by outcome. */
  probeOutcomes: ReadonlyMap<string, number>;
}

/**
 * Devices that are gone but whose registrations are still being removed (or failing to be):
 * shown beside the present ones, with `present: false`, so that a failing deregistration is
 * visible.
 */
function pendingRemovals(shown: ReadonlySet<string>, byDevice: ReadonlyMap<string, DeliveryStatus[]>): DeviceStatus[] {
  const gone = [...byDevice].filter(([key]) => !shown.has(key));
  return gone.map(([key, held]) => ({
    key,
    source: key.split(':')[0]!,
    present: false,
    profile: null,
    candidates: [],
    problems: [],
    deliveries: held,
  }));
}

/** A device as the status shows it: present, or gone within its hold (`leaving`). */
function deviceStatus(
  device: DeviceView,
  deliveries: DeliveryStatus[],
  probes: (key: string) => ProbeRecord[],
  leaving?: LeavingDevice,
): DeviceStatus {
  return {
    key: device.key,
    source: device.source,
    ...(leaving ? { present: false, leaving: { since: leaving.since, until: leaving.until } } : {}),
    since: device.since,
    profile: device.match.winner?.profile.name ?? null,
    ...(device.match.ignored && { ignored: device.match.ignored }),
    candidates: device.match.candidates,
    problems: device.problems,
    ...(device.warnings && { warnings: device.warnings }),
    ...(device.notes && { notes: device.notes }),
    ...(device.source === 'serial' && !leaving ? { probes: probes(device.key) } : {}),
    deliveries,
    facts: device.facts,
  };
}

const READY_HELP = 'Whether start-up is complete (1) or not (0).';

/** What the status server shows of the daemon, from a snapshot taken for each request. */
export function daemonStatus(snapshot: () => DaemonSnapshot): StatusProvider {
  const version = engineVersion();
  return {
    healthy: () => snapshot().ready,
    summary: (): StatusSummary => {
      const { startedAt, ready, running } = snapshot();
      const base = { name: 'device-profile-engine', version, ready, startedAt: startedAt.toISOString() };
      // The server starts first; until the reconciler exists there is nothing but "starting".
      if (!running) return base;
      const issues = running.profileIssues;
      return {
        ...base,
        uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
        profiles: {
          loaded: running.profiles.length,
          errors: issues.filter((issue) => issue.severity === 'error').length,
          warnings: issues.filter((issue) => issue.severity === 'warning').length,
        },
        devices: {
          present: running.devices.length,
          matched: running.devices.filter((device) => device.match.winner).length,
          leaving: running.leaving.length,
        },
        deliveries: Object.fromEntries(countBy(running.deliveries, (delivery) => delivery.state)),
        sources: running.sources,
      };
    },
    devices: (): DeviceStatus[] => {
      const { ready, running } = snapshot();
      if (!running) return [];
      const byDevice = new Map<string, DeliveryStatus[]>();
      for (const delivery of running.deliveries) {
        const list = byDevice.get(delivery.deviceKey);
        if (list) list.push(delivery);
        else byDevice.set(delivery.deviceKey, [delivery]);
      }
      const probes = (key: string) => running.probeRecords(key);
      const present = running.devices.map((device) => deviceStatus(device, byDevice.get(device.key) ?? [], probes));
      const leaving = running.leaving.map((device) =>
        deviceStatus(device.view, byDevice.get(device.view.key) ?? [], probes, device),
      );
      const shown = new Set([...present, ...leaving].map((device) => device.key));
      // Before every source has reported, a device not yet seen is not gone.
      return ready ? [...present, ...leaving, ...pendingRemovals(shown, byDevice)] : [...present, ...leaving];
    },
    profiles: (): ProfilesStatus => {
      const { running } = snapshot();
      if (!running) return { loaded: [], files: [] };
      return {
        loaded: running.profiles.map(({ profile, file }) => ({
          name: profile.name,
          file,
          description: profile.description ?? null,
          priority: profile.priority ?? 0,
          notify: (profile.notify ?? []).map((entry) => entry.backend),
          ...(profile.ignore && { ignore: true as const }),
        })),
        files: running.profileFiles.map(({ file, issues, keptLastGood, inUse, replacedBy, masks }) => ({
          file,
          profile: inUse?.name ?? null,
          keptLastGood,
          ...(replacedBy ? { replacedBy } : {}),
          ...(masks ? { masks } : {}),
          issues,
        })),
      };
    },
    metrics: () => {
      const { ready, running, deliveryMetrics } = snapshot();
      const text = new MetricsText().add('engine_ready', 'gauge', READY_HELP, [[{}, running && ready ? 1 : 0]]);
      if (!running) return deliveryMetrics.addTo(text, { version }).toString();
      const issues = running.profileIssues;
      const sources = running.sources;
      text
        .add('engine_profiles_loaded', 'gauge', 'Profiles in use.', [[{}, running.profiles.length]])
        .add(
          'engine_profile_issues',
          'gauge',
          'Problems in profile files, by severity.',
          (['error', 'warning'] as const).map((severity) => [
            { severity },
            issues.filter((issue) => issue.severity === severity).length,
          ]),
        )
        .add(
          'engine_devices',
          'gauge',
          'Devices present, by source.',
          [...countBy(running.inventory, (device) => device.source)].map(([source, count]) => [{ source }, count]),
        )
        .add(
          'engine_device_events_total',
          'counter',
          'Device events seen, by source and action.',
          running.events.entries().map(([source, action, count]) => [{ source, action }, count]),
        )
        .add(
          'engine_deliveries',
          'gauge',
          'Identifiers per backend, by delivery state.',
          PairCounts.of(
            running.deliveries,
            (delivery) => delivery.backend,
            (delivery) => delivery.state,
          )
            .entries()
            .map(([backend, state, count]) => [{ backend, state }, count]),
        )
        .add(
          'engine_delivery_attempts_total',
          'counter',
          'Delivery attempts, by backend and outcome.',
          running.deliveryOutcomes.entries().map(([backend, outcome, count]) => [{ backend, outcome }, count]),
        )
        .add(
          'engine_source_ready',
          'gauge',
          'Whether each source has reported the devices present at start-up.',
          sources.map((status) => [{ source: status.kind, mode: status.mode }, status.ready ? 1 : 0]),
        )
        .add(
          'engine_probes_total',
          'counter',
          'Serial probes that ended, by outcome.',
          [...running.probeOutcomes].map(([outcome, count]) => [{ outcome }, count]),
        )
        .add('engine_devices_matched', 'gauge', 'Devices present that a profile matched.', [
          [{}, running.devices.filter((device) => device.match.winner).length],
        ]);
      return deliveryMetrics.addTo(text, { version }).toString();
    },
  };
}
