import { isDeepStrictEqual } from 'node:util';
import type { ApplyResult, Backend, Change } from '../backends/backend.js';
import type { Logger } from '../core/log.js';
import type { Facts } from '../core/facts.js';
import { redactSecrets } from '../core/secrets.js';
import { entryKey, type DesiredEntry } from './desired-state.js';
import { conflictRecheckDelay, DEFAULT_RETRY_POLICY, retryDelay, type RetryPolicy } from './retry-policy.js';
import { StateSaveError, StateStore, type HeldEntry } from './state-store.js';

/** Where delivery of one identifier to one backend stands. */
export interface DeliveryStatus {
  backend: string;
  identifier: string;
  deviceKey: string;
  /** `conflict`: the backend holds the identifier for someone else; left untouched, looked at again slowly. */
  state: 'acknowledged' | 'pending' | 'retrying' | 'failed' | 'removing' | 'conflict';
  failures: number;
  lastError?: string;
  nextAttemptAt?: string;
}

interface Progress {
  inFlight: boolean;
  failures: number;
  nextAttemptAt: number;
  timer?: NodeJS.Timeout;
  lastError?: string;
  /** The change that failed permanently; not tried again until what is desired differs. */
  failedFor?: string;
  /** The backend answered the last attempt with `conflict`: someone else's registration. */
  conflict?: boolean;
}

export interface ReconcilerOptions {
  /** Backends by name. */
  backends: ReadonlyMap<string, Backend>;
  stateDir: string;
  log: Logger;
  policy?: RetryPolicy;
  /** Requests under way at once per backend. */
  concurrency?: number;
  /** Told of every attempt's outcome and how long it took, for the metrics. */
  observe?: (backend: string, outcome: ApplyResult['outcome'], elapsedMs: number) => void;
}

/**
 * The facts that say something about the device: `event` is left out, since its time is when
 * this engine first saw the device, new after every restart.
 */
function lastingFacts(facts: Facts | undefined): Facts {
  const { event: _event, ...lasting } = facts ?? {};
  return lasting;
}

type Action = { op: 'create' | 'update'; desired: DesiredEntry } | { op: 'delete'; held: HeldEntry };

/**
 * Keeps every backend holding what is desired, level-triggered: whatever happened before,
 * it compares what is desired with what each backend acknowledged (persisted) and sends the
 * difference, retrying with backoff. Flapping coalesces, because only the latest desired state
 * is ever sent; nothing is registered twice, because identifiers are the keys on both sides.
 */
export class Reconciler {
  private desired = new Map<string, DesiredEntry>();
  private readonly held = new Map<string, HeldEntry>();
  private readonly progress = new Map<string, Progress>();
  private readonly store: StateStore;
  private readonly policy: RetryPolicy;
  private readonly aborter = new AbortController();
  private readonly running = new Set<Promise<void>>();
  /** Requests under way, per backend. */
  private readonly inFlight = new Map<string, number>();
  private deletesAllowed = false;
  private stopped = false;
  /** Outcomes by `backend outcome`, for the metrics. */
  readonly outcomes = new Map<string, number>();

  constructor(private readonly options: ReconcilerOptions) {
    this.policy = options.policy ?? DEFAULT_RETRY_POLICY;
    this.store = new StateStore(options.stateDir, () => [...this.held.values()], options.log);
  }

  /** Loads what earlier runs registered. */
  async start(): Promise<void> {
    for (const entry of await this.store.load()) this.held.set(entryKey(entry.backend, entry.identifier), entry);
    this.options.log.info('reconciler state loaded', { entries: this.held.size });
  }

  /** Replaces the desired state and sends what differs. */
  setDesired(entries: Map<string, DesiredEntry>): void {
    this.desired = entries;
    this.kick();
  }

  /**
   * Lets the reconciler remove registrations that are not desired. Until then it only adds and
   * updates: at start-up, a device not yet enumerated must not be deregistered.
   */
  allowDeletes(): void {
    this.deletesAllowed = true;
    this.kick();
  }

  /** Stops sending, waits for requests under way, and saves the state. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const progress of this.progress.values()) clearTimeout(progress.timer);
    this.aborter.abort();
    await Promise.allSettled([...this.running]);
    this.store.close();
    await this.store.save();
  }

  /** Whether every backend holds exactly what is desired (failed and conflicting entries aside). */
  settled(): boolean {
    return [...this.pendingActions().keys()].every(
      (key) => this.progress.get(key)?.failedFor !== undefined || this.progress.get(key)?.conflict === true,
    );
  }

  status(): DeliveryStatus[] {
    const keys = new Set([...this.desired.keys(), ...this.held.keys()]);
    return [...keys].sort().map((key) => this.statusOf(key));
  }

  private statusOf(key: string): DeliveryStatus {
    const desired = this.desired.get(key);
    const held = this.held.get(key);
    const progress = this.progress.get(key);
    const base = {
      backend: (desired ?? held)!.backend,
      identifier: (desired ?? held)!.identifier,
      deviceKey: (desired ?? held)!.deviceKey,
      failures: progress?.failures ?? 0,
    };
    const extra = {
      ...(progress?.lastError ? { lastError: progress.lastError } : {}),
      ...(progress?.nextAttemptAt ? { nextAttemptAt: new Date(progress.nextAttemptAt).toISOString() } : {}),
    };
    if (progress?.failedFor !== undefined) return { ...base, state: 'failed', ...extra };
    if (progress?.conflict && desired) return { ...base, state: 'conflict', ...extra };
    if (!desired) return { ...base, state: 'removing', ...extra };
    if (this.action(key) === undefined) return { ...base, state: 'acknowledged' };
    return { ...base, state: (progress?.failures ?? 0) > 0 ? 'retrying' : 'pending', ...extra };
  }

  /** What is to be done, by key: each key's action worked out once. */
  private pendingActions(): Map<string, Action> {
    const actions = new Map<string, Action>();
    for (const key of new Set([...this.desired.keys(), ...this.held.keys()])) {
      const action = this.action(key);
      if (action) actions.set(key, action);
    }
    return actions;
  }

  private fingerprint(action: Action): string {
    if (action.op === 'delete') return JSON.stringify(['delete']);
    const { payload, notify, profile, followsFacts, facts } = action.desired;
    return JSON.stringify(followsFacts ? [payload, notify, profile, lastingFacts(facts)] : [payload, notify, profile]);
  }

  /** What has to be done for one key, if anything. */
  private action(key: string): Action | undefined {
    const desired = this.desired.get(key);
    const held = this.held.get(key);
    if (!desired) return held && this.deletesAllowed ? { op: 'delete', held } : undefined;
    const trusted = held?.acknowledged && !held.sending && !held.deleting;
    const factsAgree =
      !desired.followsFacts || isDeepStrictEqual(lastingFacts(held?.facts), lastingFacts(desired.facts));
    if (
      trusted &&
      isDeepStrictEqual(held.acknowledged!.payload, desired.payload) &&
      isDeepStrictEqual(held.notify, desired.notify) &&
      factsAgree
    )
      return undefined;
    return { op: trusted ? 'update' : 'create', desired };
  }

  private kick(): void {
    if (this.stopped) return;
    const now = Date.now();
    const actions = this.pendingActions();
    // Forget the progress of keys with nothing left to do, so that flapping devices with ever
    // new identifiers do not accumulate.
    for (const [key, progress] of this.progress) {
      if (!progress.inFlight && !actions.has(key)) {
        clearTimeout(progress.timer);
        this.progress.delete(key);
      }
    }
    for (const [key, action] of actions) {
      const progress = this.progressOf(key);
      if (progress.inFlight) continue;
      if (progress.nextAttemptAt > now) {
        this.wakeAt(progress, now);
        continue;
      }
      if (progress.failedFor !== undefined && progress.failedFor === this.fingerprint(action)) continue;
      const backend = (action.op === 'delete' ? action.held : action.desired).backend;
      if ((this.inFlight.get(backend) ?? 0) >= (this.options.concurrency ?? 4)) continue;
      const run = this.run(key, action).finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }

  /**
   * Makes sure `kick` runs again once a backoff is over. Timers may fire a little before
   * `Date.now()` reaches the time asked for, so the wake-up is rounded up and re-armed if early.
   */
  private wakeAt(progress: Progress, now: number): void {
    if (progress.timer) return;
    progress.timer = setTimeout(
      () => {
        progress.timer = undefined;
        this.kick();
      },
      Math.ceil(progress.nextAttemptAt - now) + 1,
    );
  }

  private progressOf(key: string): Progress {
    let progress = this.progress.get(key);
    if (!progress) {
      progress = { inFlight: false, failures: 0, nextAttemptAt: 0 };
      this.progress.set(key, progress);
    }
    return progress;
  }

  private async run(key: string, action: Action): Promise<void> {
    const progress = this.progressOf(key);
    const target = action.op === 'delete' ? action.held : action.desired;
    progress.inFlight = true;
    progress.failedFor = undefined;
    this.inFlight.set(target.backend, (this.inFlight.get(target.backend) ?? 0) + 1);
    const log = this.options.log.child({ backend: target.backend, identifier: target.identifier, op: action.op });
    // Without a record of its own from before this attempt, the engine never sent this
    // identifier: what the backend may already hold under it is someone else's.
    const firstAttempt = action.op !== 'delete' && !this.held.has(key);
    let result: ApplyResult;
    const startedAt = performance.now();
    // A state folder that cannot be written is warned about by the store, once a minute.
    let stateUnsaved = false;
    try {
      await this.writeAhead(key, action);
      result = await this.apply(key, action, firstAttempt);
    } catch (error) {
      stateUnsaved = error instanceof StateSaveError;
      result = { outcome: 'retry', reason: (error as Error).message };
    }
    // A reason may quote the server's answer, which may echo a credential.
    if (result.outcome !== 'acknowledged') result = { ...result, reason: redactSecrets(result.reason) };
    progress.inFlight = false;
    this.inFlight.set(target.backend, this.inFlight.get(target.backend)! - 1);
    if (this.stopped) return;
    this.count(target.backend, result.outcome);
    progress.conflict = result.outcome === 'conflict';
    this.options.observe?.(target.backend, result.outcome, performance.now() - startedAt);
    if (result.outcome === 'acknowledged') {
      this.acknowledge(key, action, result.remote);
      progress.failures = 0;
      progress.nextAttemptAt = 0;
      progress.lastError = undefined;
      log.info(action.op === 'delete' ? 'deregistered' : 'registered');
      // The store warns (once a minute) and saves again on its own.
      await this.store.save().catch(() => {});
    } else if (result.outcome === 'retry') {
      progress.failures++;
      progress.lastError = result.reason;
      const delay = retryDelay(progress.failures, result.afterMs, this.policy);
      progress.nextAttemptAt = Date.now() + delay;
      if (!stateUnsaved)
        log.warn('delivery failed, will retry', {
          reason: result.reason,
          failures: progress.failures,
          retryInMs: Math.round(delay),
        });
    } else if (result.outcome === 'conflict') {
      // The write-ahead record of this attempt claimed nothing: the backend kept what it held.
      // Dropping it keeps the identifier foreign, so it is neither updated nor deleted later.
      progress.failures++;
      progress.lastError = result.reason;
      const delay = conflictRecheckDelay(this.policy);
      progress.nextAttemptAt = Date.now() + delay;
      log.warn('the backend holds this identifier for someone else; left untouched, checked again later', {
        reason: result.reason,
        retryInMs: Math.round(delay),
      });
      if (firstAttempt) {
        this.held.delete(key);
        // The store warns (once a minute) and saves again on its own.
        await this.store.save().catch(() => {});
      }
    } else {
      progress.failures++;
      progress.lastError = result.reason;
      progress.failedFor = this.fingerprint(action);
      log.error('delivery failed permanently; retried when the payload, profile or config changes', {
        reason: result.reason,
      });
    }
    this.kick();
  }

  /**
   * Records, durably, that a request for this identifier is about to be sent: after a crash,
   * what the backend holds is uncertain and the change is made again.
   */
  private async writeAhead(key: string, action: Action): Promise<void> {
    const held = this.held.get(key);
    const restore = () => (held ? this.held.set(key, held) : this.held.delete(key));
    const since = new Date().toISOString();
    if (action.op === 'delete') {
      this.held.set(key, { ...held!, deleting: { since } });
    } else {
      const { desired } = action;
      this.held.set(key, {
        ...(held ?? {}),
        backend: desired.backend,
        identifier: desired.identifier,
        notify: desired.notify,
        profile: desired.profile,
        deviceKey: desired.deviceKey,
        ...(desired.facts ? { facts: desired.facts } : {}),
        sending: { payload: desired.payload, since },
      });
    }
    try {
      await this.store.save();
    } catch (error) {
      // Nothing is sent without its record: the record made for this attempt claims nothing, so
      // the next attempt is still a first one (what the backend holds may be someone else's).
      restore();
      throw error;
    }
  }

  private apply(key: string, action: Action, firstAttempt: boolean): Promise<ApplyResult> {
    const target = action.op === 'delete' ? action.held : action.desired;
    const backend = this.options.backends.get(target.backend);
    // A registration held from an earlier run for a backend the configuration no longer names.
    if (!backend)
      return Promise.resolve({
        outcome: 'permanent',
        reason: `no backend named ${target.backend} in the configuration`,
      });
    const held = this.held.get(key);
    const payload =
      action.op === 'delete' ? (held?.acknowledged?.payload ?? held?.sending?.payload ?? {}) : action.desired.payload;
    const facts = action.op === 'delete' ? held?.facts : action.desired.facts;
    const change: Change = {
      op: action.op,
      identifier: target.identifier,
      payload,
      notify: target.notify,
      ...(held?.acknowledged?.remote ? { remote: held.acknowledged.remote } : {}),
      ...(facts ? { facts } : {}),
      profile: target.profile,
      ...(firstAttempt ? { firstAttempt } : {}),
    };
    return backend.apply(change, this.aborter.signal);
  }

  private acknowledge(key: string, action: Action, remote: Record<string, unknown> | undefined): void {
    if (action.op === 'delete') {
      this.held.delete(key);
      return;
    }
    const held = this.held.get(key)!;
    const { sending: _sent, deleting: _deleted, ...rest } = held;
    this.held.set(key, {
      ...rest,
      acknowledged: { payload: action.desired.payload, ...(remote ? { remote } : {}), at: new Date().toISOString() },
    });
  }

  private count(backend: string, outcome: string): void {
    const key = `${backend} ${outcome}`;
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
  }
}
