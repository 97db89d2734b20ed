// Removal grace: a device that goes keeps what it registered for its hold (`holdMs`), so that one
// that resets and comes back (a firmware update, a power glitch, a modem switching modes) is not
// deregistered and registered anew: on NuvlaBox that would give it a new resource id.
//
// An engine that starts finds registrations whose device is not present once the sources have
// reported (`absentAtStart`). A device that was within its hold when the engine stopped keeps
// what is left of that hold (hold-times-file.ts keeps when each hold ends): an engine restarted
// more often than the hold would otherwise hold it for good. Any other is held as if it had just
// gone, so that a device which enumerates after the engine (a gateway booting, a hub powering up)
// keeps its registrations. Those whose hold runs out are removed like any other
// (Reconciler.allowDeletes).
import type { DesiredEntry, DesiredState, DeviceView } from './desired-state.js';
import { entryKey } from './desired-state.js';
import type { LoadedProfile } from '../profiles/profile.js';
import type { HeldEntry } from './state-store.js';

/** A device an earlier run registered that is not present at start-up: what to hold for it, and how long. */
export interface AbsentAtStart {
  view: DeviceView;
  entries: DesiredEntry[];
  holdMs: number;
}

/**
 * What an earlier run registered for devices not present now, by device, shown under the profile
 * that registered it (`profileOf`) and with the hold a device of it gets when it goes (`holdOf`).
 * Only registrations the backend acknowledged and nothing since put in doubt are held, as the
 * device last sent them; a device whose profile is gone, or that is present (under another
 * match), keeps nothing.
 */
export function absentAtStart(
  held: Iterable<HeldEntry>,
  present: DesiredState,
  profileOf: (name: string) => LoadedProfile | undefined,
  holdOf: (winner: LoadedProfile, source: string) => number,
  now = Date.now(),
): AbsentAtStart[] {
  const presentKeys = new Set(present.devices.map((device) => device.key));
  const byDevice = new Map<string, DesiredEntry[]>();
  for (const entry of held) {
    if (!entry.acknowledged || entry.sending || entry.deleting || presentKeys.has(entry.deviceKey)) continue;
    if (present.entries.has(entryKey(entry.backend, entry.identifier))) continue;
    const { backend, identifier, notify, profile, deviceKey, facts } = entry;
    const desired: DesiredEntry = {
      backend,
      identifier,
      payload: entry.acknowledged.payload,
      notify,
      profile,
      deviceKey,
    };
    if (facts) desired.facts = facts;
    const entries = byDevice.get(deviceKey);
    if (entries) entries.push(desired);
    else byDevice.set(deviceKey, [desired]);
  }
  const absent: AbsentAtStart[] = [];
  for (const [key, entries] of byDevice) {
    const source = key.slice(0, key.indexOf(':'));
    // A profile gone since: nothing would take the registrations back.
    const winner = profileOf(entries[0]!.profile);
    const holdMs = winner ? holdOf(winner, source) : 0;
    if (!winner || holdMs <= 0) continue;
    const facts = entries[0]!.facts ?? {};
    const view: DeviceView = {
      key,
      source,
      facts,
      since: new Date(now).toISOString(),
      match: { candidates: [], winner },
      problems: [],
    };
    absent.push({ view, entries, holdMs });
  }
  return absent;
}

/** When a leaving device went and when its hold ends (ISO 8601), kept across restarts. */
export interface HoldTimes {
  since: string;
  until: string;
}

/** Where the holds under way are kept, so that a restart goes on with them rather than starting them anew. */
export interface HoldJournal {
  set(key: string, times: HoldTimes): void;
  delete(key: string): void;
}

/** A device that went, whose registrations are kept until its hold ends in case it comes back. */
export interface LeavingDevice {
  /** The device as last matched while it was present. */
  view: DeviceView;
  /** What it had the backends hold then. */
  entries: readonly DesiredEntry[];
  /** When it went (ISO 8601). */
  since: string;
  /** When its registrations are removed unless it is back (ISO 8601). */
  until: string;
}

/**
 * The desired state with what leaving devices still hold. A present device outranks them: an
 * identifier it maps to is its own (the device came back, maybe on another port), and its payload
 * is what is sent, an update only if it differs. Pure.
 */
export function withLeaving(desired: DesiredState, leaving: Iterable<LeavingDevice>): DesiredState {
  let entries: Map<string, DesiredEntry> | undefined;
  for (const device of leaving) {
    for (const entry of device.entries) {
      const key = entryKey(entry.backend, entry.identifier);
      if (desired.entries.has(key)) continue;
      entries ??= new Map(desired.entries);
      if (!entries.has(key)) entries.set(key, entry);
    }
  }
  return entries ? { entries, devices: desired.devices } : desired;
}

/**
 * The devices within their hold, each with a timer that ends it. A device back under its key keeps
 * its record while its probes still run (its match may not be known yet); once it is matched for
 * good, what it desires now replaces what it held, and the record goes.
 */
export class LeavingDevices {
  /** `expired`: the hold ran out; the record stays only while its device is back and still probing. */
  private readonly records = new Map<string, LeavingDevice & { timer: NodeJS.Timeout; expired?: boolean }>();
  /** Where each hold that starts or ends is written (`keepIn`), for the next start. */
  private journal: HoldJournal | undefined;

  /**
   * `ended` is told when a device's hold ran out: the next `settle` drops its registrations,
   * unless the device is back under its key with a probe still running (then they stay until its
   * match is known, as within the hold: deleting them now would register it anew a moment later).
   */
  constructor(private readonly ended: (device: LeavingDevice) => void) {}

  /** From now on, every hold that starts or ends is written to `journal`. */
  keepIn(journal: HoldJournal): void {
    this.journal = journal;
  }

  /** Whether a device is within its hold. */
  has(key: string): boolean {
    return this.records.has(key);
  }

  /**
   * Keeps a gone device's entries for `holdMs`. A device already within its hold keeps the one it
   * has: a device that went, came back still probing and went again is not held longer. `since`:
   * when it went, for a hold an earlier run started (what is left of it is `holdMs`).
   */
  hold(
    view: DeviceView,
    entries: readonly DesiredEntry[],
    holdMs: number,
    now = Date.now(),
    since = new Date(now).toISOString(),
  ): LeavingDevice | undefined {
    if (holdMs <= 0 || entries.length === 0 || this.records.has(view.key)) return undefined;
    const record = {
      view,
      entries,
      since,
      until: new Date(now + holdMs).toISOString(),
      expired: false,
      timer: setTimeout(() => {
        record.expired = true;
        this.ended(record);
      }, holdMs),
    };
    this.records.set(view.key, record);
    this.journal?.set(view.key, { since: record.since, until: record.until });
    return record;
  }

  /**
   * Ends the hold of the devices that are back: present again under their key and matched for good
   * (no probe still to run), or present under another key (another port) with every identifier
   * they held; and of those whose hold ran out, unless back under their key and still probing.
   */
  settle(present: DesiredState): void {
    if (this.records.size === 0) return;
    const settled = new Set(present.devices.filter((device) => !device.match.probing).map((device) => device.key));
    const probing = new Set(present.devices.filter((device) => device.match.probing).map((device) => device.key));
    for (const [key, record] of this.records) {
      const taken = record.entries.every((entry) => present.entries.has(entryKey(entry.backend, entry.identifier)));
      const over = record.expired && !probing.has(key);
      if (!settled.has(key) && !taken && !over) continue;
      clearTimeout(record.timer);
      this.records.delete(key);
      this.journal?.delete(key);
    }
  }

  /** The desired state with the entries the leaving devices still hold (see {@link withLeaving}). */
  applyTo(desired: DesiredState): DesiredState {
    return this.records.size === 0 ? desired : withLeaving(desired, this.records.values());
  }

  /** The devices within their hold that are not present again, for the status server. */
  list(present: readonly DeviceView[]): LeavingDevice[] {
    if (this.records.size === 0) return [];
    const keys = new Set(present.map((device) => device.key));
    return [...this.records.values()]
      .filter((record) => !keys.has(record.view.key))
      .map(({ timer: _timer, expired: _expired, ...device }) => device);
  }

  /**
   * Stops every timer (the engine stops): the registrations stay, as a present device's do, and
   * the journal keeps when each hold ends for the next start.
   */
  clear(): void {
    for (const record of this.records.values()) clearTimeout(record.timer);
    this.records.clear();
  }
}
