// Status data for tests of the status server and page: whole values of the status types, with
// what a test does not care about filled in.
import type { DeviceStatus, ProfilesStatus, StatusSummary } from '../../engine/server/status-data.js';

export const summaryOf = (extra: Partial<StatusSummary> = {}): StatusSummary => ({
  name: 'device-profile-engine',
  version: '0.0.0-test',
  ready: true,
  startedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

/** A present device of the source its key starts with, matched by nothing unless `extra` says. */
export const deviceOf = (key: string, extra: Partial<DeviceStatus> = {}): DeviceStatus => ({
  key,
  source: key.split(':')[0]!,
  profile: null,
  candidates: [],
  problems: [],
  deliveries: [],
  ...extra,
});

/** Profiles of these names loaded, no file problem. */
export const profilesOf = (...names: string[]): ProfilesStatus => ({
  loaded: names.map((name) => ({ name, file: `/profiles/${name}.yaml`, description: null, priority: 0, notify: [] })),
  files: [],
});
