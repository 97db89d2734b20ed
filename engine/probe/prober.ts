import type { Logger } from '../core/log.js';
import type { Facts } from '../core/facts.js';
import type { ProbeVerdict } from '../match/matcher.js';
import type { LoadedProfile } from '../profiles/profile.js';
import type { SerialProbe } from '../sources/serial/serial-detect.js';
import { DEFAULT_PROBE_PORT_OPTIONS, probePort, type ProbeOutcome, type ProbePortOptions } from './probe-port.js';

export interface ProberOptions {
  log: Logger;
  /** Called after every probe that ended, so that matching can run again; `kept` says whether a result was kept (a busy port keeps none). */
  onResult: (kept: boolean) => void;
  /** How many ports are probed at once (one probe at a time per port, always). */
  concurrency: number;
  /** When to try again a port that another program holds or that could not be opened yet. */
  busyRetryMs: number;
  port: ProbePortOptions;
  /** The probing itself; replaceable to test the coordination alone. */
  probe?: (devicePath: string, probe: SerialProbe, options: ProbePortOptions) => Promise<ProbeOutcome>;
}

export const DEFAULT_PROBER_OPTIONS: Omit<ProberOptions, 'log' | 'onResult'> = {
  concurrency: 8,
  busyRetryMs: 10_000,
  port: DEFAULT_PROBE_PORT_OPTIONS,
};

/** Prober settings from the engine config's `sources.serial` (validated by its schema). */
export function proberOptionsFrom(settings: Record<string, unknown>): Omit<ProberOptions, 'log' | 'onResult'> {
  const port = DEFAULT_PROBE_PORT_OPTIONS;
  return {
    concurrency: (settings.probeConcurrency as number | undefined) ?? DEFAULT_PROBER_OPTIONS.concurrency,
    busyRetryMs: (settings.busyRetryMs as number | undefined) ?? DEFAULT_PROBER_OPTIONS.busyRetryMs,
    port: {
      maxBytes: (settings.maxProbeBytes as number | undefined) ?? port.maxBytes,
      openRetryMs: (settings.openRetryMs as number | undefined) ?? port.openRetryMs,
      lockFolders: (settings.lockFolders as string[] | undefined) ?? port.lockFolders,
    },
  };
}

/** What the prober knows about one profile's probe on one port, for the status server and `engine list`. */
export interface ProbeRecord {
  profile: string;
  state: 'matched' | 'no-match' | 'failed' | 'waiting' | 'busy' | 'probing' | 'skipped';
  detail?: string;
  at?: string;
}

/** What identifies the device behind a tty for its probe results: its serial and USB facts. */
export const probeFingerprint = (facts: Facts) => JSON.stringify({ serial: facts.serial, usb: facts.usb });

/** Probe results by device key, as saved in the state folder. */
export type ProbeSnapshot = Record<
  string,
  { path: string; fingerprint: string; results: Record<string, { outcome: ProbeOutcome; at: string }> }
>;

interface PortState {
  path: string;
  /** What the device looked like when probed; another value means another device. */
  fingerprint: string;
  /** The profiles that want to probe it, in precedence order. */
  candidates: LoadedProfile[];
  /** Outcomes by profile name + probe spec, kept until the device goes. */
  results: Map<string, { outcome: ProbeOutcome; at: string }>;
  running?: string;
  busy?: { reason: string; timer: NodeJS.Timeout };
  aborter: AbortController;
}

const resultKeys = new WeakMap<LoadedProfile, string>();

/** A probe result stays valid as long as the profile's probe is unchanged. */
export function resultKey(entry: LoadedProfile): string {
  let key = resultKeys.get(entry);
  if (key === undefined) {
    key = `${entry.profile.name}\u0000${JSON.stringify(entry.profile.detect.serial?.probe)}`;
    resultKeys.set(entry, key);
  }
  return key;
}

/**
 * Runs serial probes safely: one probe at a time per port, ports in parallel up to a limit,
 * candidates in precedence order until one matches, busy ports retried later, and every result
 * remembered until the device goes away.
 */
export class Prober {
  private readonly options: ProberOptions;
  private readonly ports = new Map<string, PortState>();
  private readonly queue: string[] = [];
  private running = 0;
  private stopped = false;

  /** Probes that ended, by outcome (matched, mismatch, busy, failed, ...), for the metrics. */
  readonly outcomes = new Map<string, number>();

  constructor(options: Pick<ProberOptions, 'log' | 'onResult'> & Partial<ProberOptions>) {
    this.options = { ...DEFAULT_PROBER_OPTIONS, ...options };
  }

  /**
   * Says which profiles want to probe a port now (in precedence order). A port whose path or
   * fingerprint (the device's facts) changed is another device: what was learned is forgotten.
   */
  want(deviceKey: string, devicePath: string, candidates: LoadedProfile[], fingerprint = devicePath): void {
    if (this.stopped) return;
    this.forgetUnless(deviceKey, devicePath, fingerprint);
    let port = this.ports.get(deviceKey);
    if (!port) {
      if (candidates.length === 0) return;
      port = { path: devicePath, fingerprint, candidates, results: new Map(), aborter: new AbortController() };
      this.ports.set(deviceKey, port);
    }
    port.candidates = candidates;
    if (this.next(port)) this.enqueue(deviceKey);
  }

  /** Forgets what is held for a device unless it is still the same one (path and fingerprint). */
  forgetUnless(deviceKey: string, devicePath: string, fingerprint: string): void {
    const port = this.ports.get(deviceKey);
    if (port && (port.path !== devicePath || port.fingerprint !== fingerprint)) this.forget(deviceKey);
  }

  /** The device went: stop probing it and forget its results. */
  forget(deviceKey: string): void {
    const port = this.ports.get(deviceKey);
    if (!port) return;
    port.aborter.abort();
    clearTimeout(port.busy?.timer);
    this.ports.delete(deviceKey);
  }

  /** The results worth keeping across a restart: a device still there need not be probed again. */
  snapshot(): ProbeSnapshot {
    const snapshot: ProbeSnapshot = {};
    for (const [key, port] of this.ports) {
      if (port.results.size)
        snapshot[key] = { path: port.path, fingerprint: port.fingerprint, results: Object.fromEntries(port.results) };
    }
    return snapshot;
  }

  /** Takes back a snapshot; each entry counts only if the same device is wanted again. */
  restore(snapshot: ProbeSnapshot): void {
    for (const [key, saved] of Object.entries(snapshot)) {
      this.ports.set(key, {
        path: saved.path,
        fingerprint: saved.fingerprint,
        candidates: [],
        results: new Map(Object.entries(saved.results)),
        aborter: new AbortController(),
      });
    }
  }

  /** Resolves once no wanted probe is waiting or running (bounded by the probes' own timeouts). */
  async idle(): Promise<void> {
    const busy = () =>
      [...this.ports.keys()].some((key) =>
        this.records(key).some((record) => record.state === 'waiting' || record.state === 'probing'),
      );
    while (busy()) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Device keys the prober holds something for. */
  keys(): string[] {
    return [...this.ports.keys()];
  }

  /** The verdict of a profile's probe on a device, for the matcher; undefined while unknown. */
  verdict(deviceKey: string, entry: LoadedProfile): ProbeVerdict | undefined {
    const port = this.ports.get(deviceKey);
    if (!port) return undefined;
    const result = port.results.get(resultKey(entry));
    if (result)
      return result.outcome.kind === 'matched' ? { facts: result.outcome.facts } : { reason: result.outcome.reason };
    const first = this.firstMatch(port);
    if (first) return { reason: `not probed: ${first} matched first` };
    if (port.busy) return { reason: `${port.busy.reason}; trying again later`, pending: true };
    return undefined;
  }

  /** Everything known about a device's probes. */
  records(deviceKey: string): ProbeRecord[] {
    const port = this.ports.get(deviceKey);
    if (!port) return [];
    const first = this.firstMatch(port);
    return port.candidates.map((entry) => {
      const result = port.results.get(resultKey(entry));
      const profile = entry.profile.name;
      if (result)
        return {
          profile,
          state: result.outcome.kind === 'busy' ? 'busy' : result.outcome.kind,
          ...('reason' in result.outcome
            ? { detail: result.outcome.reason }
            : { detail: result.outcome.facts.response.slice(0, 200) }),
          at: result.at,
        };
      if (port.running === profile) return { profile, state: 'probing' };
      if (first) return { profile, state: 'skipped', detail: `${first} matched first` };
      if (port.busy) return { profile, state: 'busy', detail: port.busy.reason };
      return { profile, state: 'waiting' };
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const key of [...this.ports.keys()]) this.forget(key);
  }

  private firstMatch(port: PortState): string | undefined {
    return port.candidates.find((entry) => port.results.get(resultKey(entry))?.outcome.kind === 'matched')?.profile
      .name;
  }

  /** The next profile to probe on this port, if any: none once a candidate has matched. */
  private next(port: PortState): LoadedProfile | undefined {
    if (port.running || port.busy) return undefined;
    for (const entry of port.candidates) {
      const result = port.results.get(resultKey(entry));
      if (!result) return entry;
      if (result.outcome.kind === 'matched') return undefined;
    }
    return undefined;
  }

  private enqueue(deviceKey: string): void {
    if (!this.queue.includes(deviceKey)) this.queue.push(deviceKey);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running < this.options.concurrency && this.queue.length) {
      const deviceKey = this.queue.shift()!;
      const port = this.ports.get(deviceKey);
      const entry = port && this.next(port);
      if (!port || !entry) continue;
      this.running++;
      void this.run(deviceKey, port, entry).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(deviceKey: string, port: PortState, entry: LoadedProfile): Promise<void> {
    const { name } = entry.profile;
    port.running = name;
    const log = this.options.log.child({ device: deviceKey, path: port.path, profile: name });
    const probe = this.options.probe ?? probePort;
    let outcome: ProbeOutcome;
    try {
      outcome = await probe(port.path, entry.profile.detect.serial!.probe!, {
        ...this.options.port,
        signal: port.aborter.signal,
        onNote: (note) => log.debug('serial probe', { note }),
      });
    } catch (error) {
      outcome = { kind: 'failed', reason: `probe failed: ${(error as Error).message}` };
    }
    port.running = undefined;
    this.outcomes.set(outcome.kind, (this.outcomes.get(outcome.kind) ?? 0) + 1);
    if (port.aborter.signal.aborted || this.ports.get(deviceKey) !== port) return;
    if (outcome.kind === 'busy') {
      log.warn('serial port busy: skipped, will try again', {
        reason: outcome.reason,
        retryInMs: this.options.busyRetryMs,
      });
      const timer = setTimeout(() => {
        port.busy = undefined;
        if (this.next(port)) this.enqueue(deviceKey);
      }, this.options.busyRetryMs);
      timer.unref();
      port.busy = { reason: outcome.reason, timer };
      this.options.onResult(false);
    } else {
      port.results.set(resultKey(entry), { outcome, at: new Date().toISOString() });
      if (outcome.kind === 'matched')
        log.info('serial probe matched', { response: outcome.facts.response.slice(0, 80) });
      else log.info('serial probe did not match', { reason: outcome.reason });
      if (this.next(port)) this.enqueue(deviceKey);
      this.options.onResult(true);
    }
  }
}
