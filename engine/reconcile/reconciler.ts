import { isDeepStrictEqual } from 'node:util';
import type { ApplyResult, Backend, Change } from '../backends/backend.js';
import type { Logger } from '../core/log.js';
import { redactSecrets } from '../core/secrets.js';
import { actionFor, fingerprint, kindOf, sameDesired, type Action } from './delivery-action.js';
import { deliveryStatus, dueAt, type DeliveryStatus, type Progress } from './delivery-progress.js';
import { entryKey, type DesiredEntry } from './desired-state.js';
import {
  conflictRecheckDelay,
  DEFAULT_DELIVERY_CONCURRENCY,
  DEFAULT_RETRY_POLICY,
  retryDelay,
  type RetryPolicy,
} from './retry-policy.js';
import { StateSaveError, StateStore, type HeldEntry } from './state-store.js';
import { PairCounts } from '../core/pair-counts.js';

export type { DeliveryStatus } from './delivery-progress.js';

export interface ReconcilerOptions {
  /** Backends by name. */
  backends: ReadonlyMap<string, Backend>;
  stateDir: string;
  log: Logger;
  policy?: RetryPolicy;
  /** Requests under way at once per backend; unset, each backend's own default applies. */
  concurrency?: number;
  /** Told of every attempt's outcome and how long it took, for the metrics. */
  observe?: (backend: string, outcome: ApplyResult['outcome'], elapsedMs: number) => void;
}

/**
 * Keeps every backend holding what is desired, level-triggered: whatever happened before,
 * it compares what is desired with what each backend acknowledged (persisted) and sends the
 * difference, retrying with backoff. Flapping coalesces, because only the latest desired state
 * is ever sent; nothing is registered twice, because identifiers are the keys on both sides.
 * The work is proportional to what changed: only the keys whose desired entry changed, or whose
 * delivery ended or backoff ran out, are looked at again.
 */
export class Reconciler {
  private desired = new Map<string, DesiredEntry>();
  private readonly held = new Map<string, HeldEntry>();
  private readonly progress = new Map<string, Progress>();
  /** Keys whose action must be worked out again. */
  private readonly dirty = new Set<string>();
  /** Keys with an action due now, waiting for a free request slot, by backend (in arrival order). */
  private readonly waiting = new Map<string, Set<string>>();
  private readonly store: StateStore;
  private readonly policy: RetryPolicy;
  private readonly aborter = new AbortController();
  private readonly running = new Set<Promise<void>>();
  /** Requests under way, per backend. */
  private readonly inFlight = new Map<string, number>();
  private deletesAllowed = false;
  private stopped = false;
  /** Outcomes by backend and outcome, for the metrics. */
  readonly outcomes = new PairCounts();
  private planned = 0;

  constructor(private readonly options: ReconcilerOptions) {
    this.policy = options.policy ?? DEFAULT_RETRY_POLICY;
    this.store = new StateStore(options.stateDir, this.held, options.log);
  }

  /** Loads what earlier runs registered. */
  async start(): Promise<void> {
    for (const entry of await this.store.load()) {
      const key = entryKey(entry.backend, entry.identifier);
      this.held.set(key, entry);
      this.dirty.add(key);
    }
    // A journal read with damage is folded into a new snapshot now; the store retries on its own.
    if (this.store.needsRepair) await this.store.write().catch(() => {});
    this.options.log.info('reconciler state loaded', { entries: this.held.size });
  }

  /** Replaces the desired state and sends what differs. */
  setDesired(entries: Map<string, DesiredEntry>): void {
    const before = this.desired;
    this.desired = entries;
    for (const [key, entry] of entries) {
      const earlier = before.get(key);
      if (!earlier || !sameDesired(earlier, entry)) this.dirty.add(key);
    }
    for (const key of before.keys()) if (!entries.has(key)) this.dirty.add(key);
    this.kick();
  }

  /**
   * Lets the reconciler remove registrations that are not desired. Until then it only adds and
   * updates: at start-up, a device not yet enumerated must not be deregistered.
   */
  allowDeletes(): void {
    this.deletesAllowed = true;
    for (const key of this.held.keys()) if (!this.desired.has(key)) this.dirty.add(key);
    this.kick();
  }

  /** Stops sending, waits for requests under way, and saves the state. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const progress of this.progress.values()) clearTimeout(progress.timer);
    this.aborter.abort();
    await Promise.allSettled([...this.running]);
    this.store.close();
    await this.store.save().catch(() => {});
    await this.store.release();
  }

  /**
   * Whether every backend holds exactly what is desired (failed and conflicting entries aside).
   * For tests, which wait for it; the engine itself never needs to ask.
   */
  settled(): boolean {
    for (const key of new Set([...this.desired.keys(), ...this.held.keys()])) {
      const action = this.action(key);
      if (!action) continue;
      const progress = this.progress.get(key);
      if (progress?.inFlight) return false;
      if (progress?.conflict === true || progress?.failedFor === fingerprint(action)) continue;
      return false;
    }
    return true;
  }

  /** How many times a key's action was worked out: for tests that check the work stays proportional to the change. */
  get plannedKeys(): number {
    return this.planned;
  }

  /** What the backends hold as far as this engine knows: the state it loaded, and every acknowledgement since. */
  heldEntries(): Iterable<HeldEntry> {
    return this.held.values();
  }

  status(): DeliveryStatus[] {
    const keys = new Set([...this.desired.keys(), ...this.held.keys()]);
    return [...keys].sort().map((key) => this.statusOf(key));
  }

  private statusOf(key: string): DeliveryStatus {
    return deliveryStatus(this.desired.get(key), this.held.get(key), this.progress.get(key), this.action(key));
  }

  private action(key: string): Action | undefined {
    return actionFor(this.desired.get(key), this.held.get(key), this.deletesAllowed);
  }

  /** Works out the action of every dirty key, then starts what is due as request slots allow. */
  private kick(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const key of this.dirty) this.plan(key, now);
    this.dirty.clear();
    for (const [backend, keys] of this.waiting) {
      while (keys.size > 0 && (this.inFlight.get(backend) ?? 0) < this.concurrencyOf(backend)) {
        const key = keys.values().next().value as string;
        keys.delete(key);
        const action = this.action(key);
        if (!action || this.progress.get(key)?.inFlight) continue;
        const run = this.run(key, action).finally(() => this.running.delete(run));
        this.running.add(run);
      }
      if (keys.size === 0) this.waiting.delete(backend);
    }
  }

  /** Requests `backend` is given at once: as the config says, else as the backend says, else the default. */
  private concurrencyOf(backend: string): number {
    return this.options.concurrency ?? this.options.backends.get(backend)?.concurrency ?? DEFAULT_DELIVERY_CONCURRENCY;
  }

  /** Puts one key where its action says: nowhere, waiting for its backoff, or in its backend's queue. */
  private plan(key: string, now: number): void {
    this.planned += 1;
    const progress = this.progress.get(key);
    // A key under way is looked at again when its request ends.
    if (progress?.inFlight) return;
    const action = this.action(key);
    const backend = (action?.op === 'delete' ? action.held : action?.desired)?.backend;
    for (const [name, keys] of this.waiting) if (name !== backend) keys.delete(key);
    if (!action) {
      // Forgotten, so that flapping devices with ever new identifiers do not accumulate.
      if (progress) clearTimeout(progress.timer);
      this.progress.delete(key);
      return;
    }
    const due = progress ? dueAt(progress, action) : 0;
    if (due > now) {
      this.waiting.get(backend!)?.delete(key);
      this.wakeAt(key, progress!, due, now);
      return;
    }
    let queue = this.waiting.get(backend!);
    if (!queue) this.waiting.set(backend!, (queue = new Set()));
    queue.add(key);
  }

  /**
   * Makes sure the key is looked at again once its backoff is over. Timers may fire a little
   * before `Date.now()` reaches the time asked for, so the wake-up is rounded up and re-armed if early.
   */
  private wakeAt(key: string, progress: Progress, dueAt: number, now: number): void {
    clearTimeout(progress.timer);
    progress.timer = setTimeout(
      () => {
        progress.timer = undefined;
        this.dirty.add(key);
        this.kick();
      },
      Math.ceil(dueAt - now) + 1,
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
    clearTimeout(progress.timer);
    progress.timer = undefined;
    progress.inFlight = true;
    progress.failedFor = undefined;
    this.inFlight.set(target.backend, (this.inFlight.get(target.backend) ?? 0) + 1);
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
    // What a backend acknowledged while the engine stops is kept: dropped, it would be sent again
    // after the restart (a second DELETE of a device already gone). Other answers of a request
    // cut short by the stop say nothing of the backend.
    if (this.stopped && result.outcome !== 'acknowledged') return;
    this.count(target.backend, result.outcome);
    this.options.observe?.(target.backend, result.outcome, performance.now() - startedAt);
    this.record(key, action, result, firstAttempt, !stateUnsaved);
    if (this.stopped) return;
    this.dirty.add(key);
    this.kick();
  }

  /** Keeps the outcome of an attempt: in the state (saved with others, group commit) and in the key's progress. */
  private record(key: string, action: Action, result: ApplyResult, firstAttempt: boolean, warn: boolean): void {
    const progress = this.progressOf(key);
    const target = action.op === 'delete' ? action.held : action.desired;
    const subject = { backend: target.backend, identifier: target.identifier, op: action.op };
    progress.conflict = result.outcome === 'conflict';
    if (result.outcome === 'acknowledged') {
      this.acknowledge(key, action, result.remote);
      progress.failures = 0;
      progress.nextAttemptAt = 0;
      progress.lastError = undefined;
      // The same line a child logger would write, without making one per request of a burst.
      this.options.log.info(action.op === 'delete' ? 'deregistered' : 'registered', subject);
      return;
    }
    const log = this.options.log.child(subject);
    progress.failures++;
    progress.lastError = result.reason;
    progress.backoffFor = kindOf(action);
    if (result.outcome === 'retry') {
      const delay = retryDelay(progress.failures, result.afterMs, this.policy);
      progress.nextAttemptAt = Date.now() + delay;
      // The logger writes a repeat of this line once a minute at most, with the count it left
      // out (core/log.ts): an operator sees a delivery is still failing, not a line per attempt.
      if (warn)
        log.warn('delivery failed, will retry', {
          reason: result.reason,
          failures: progress.failures,
          retryInMs: Math.round(delay),
        });
    } else if (result.outcome === 'conflict') {
      const delay = conflictRecheckDelay(this.policy);
      progress.nextAttemptAt = Date.now() + delay;
      log.warn('the backend holds this identifier for someone else; left untouched, checked again later', {
        reason: result.reason,
        retryInMs: Math.round(delay),
      });
      // The write-ahead record of this attempt claimed nothing: the backend kept what it held.
      // Dropping it keeps the identifier foreign, so it is neither updated nor deleted later.
      if (firstAttempt) {
        this.held.delete(key);
        this.saveLater(key);
      }
    } else {
      // "Never" from a backend is often "not now" from a proxy or a backend being set up: the
      // same change is tried again slowly, and a changed one at once.
      progress.failedFor = fingerprint(action);
      progress.nextAttemptAt = Date.now() + this.policy.capMs;
      log.error(
        'delivery refused; tried again every retry cap, and at once when the payload, profile or config changes',
        {
          reason: result.reason,
          retryInMs: this.policy.capMs,
        },
      );
    }
  }

  /**
   * Saves a key's new entry with whatever else changes meanwhile: one write and one flush for
   * many (group commit). The save starts once the caller's turn is over, so that the write-ahead
   * record of the request started next in the same turn carries this entry too, in one write.
   */
  private saveLater(key: string): void {
    this.store.changed(key);
    // The store warns (once a minute) and saves again on its own.
    queueMicrotask(() => void this.store.save().catch(() => {}));
  }

  /**
   * Records that a request for this identifier is about to be sent: after a crash of the engine,
   * what the backend holds is uncertain and the change is made again. Resolves once the record
   * is written whole (the page cache survives the engine's own crash); its flush to disk runs
   * beside the request, shared with the records written meanwhile.
   *
   * Neither the request nor what follows it for this key waits for that flush: the journal is
   * read back last record wins, so a later record of a key that reaches the disk before an
   * earlier one says only what is true since. What a power cut can cost is the records of one
   * flush (docs/gateway.md, the state volume). Waiting held a device's next request (unplugged
   * just after it was plugged in) behind a flush that takes hundreds of milliseconds on a busy
   * SD card.
   */
  private async writeAhead(key: string, action: Action): Promise<void> {
    const held = this.held.get(key);
    // A retry of the very request the record written for an earlier attempt announces: there is
    // nothing new to write, and nothing to flush (a backend down for an hour is not a flush per
    // retry of every device). Its `since` stays the first attempt's.
    if (held && announces(held, action)) return;
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
    this.store.changed(key);
    try {
      await this.store.write();
    } catch (error) {
      // Nothing is sent without its record: the record made for this attempt claims nothing, so
      // the next attempt is still a first one (what the backend holds may be someone else's).
      if (held) this.held.set(key, held);
      else this.held.delete(key);
      this.store.changed(key);
      throw error;
    }
    // A flush that fails is warned about by the store, and its next write is a compaction.
    void this.store.sync().catch(() => {});
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
    if (action.op === 'delete') this.held.delete(key);
    else {
      const { sending: _sent, deleting: _deleted, ...rest } = this.held.get(key)!;
      this.held.set(key, {
        ...rest,
        acknowledged: { payload: action.desired.payload, ...(remote ? { remote } : {}), at: new Date().toISOString() },
      });
    }
    this.saveLater(key);
  }

  private count(backend: string, outcome: string): void {
    this.outcomes.add(backend, outcome);
  }
}

/** Whether the held entry's write-ahead record announces exactly this request already. */
function announces(held: HeldEntry, action: Action): boolean {
  if (action.op === 'delete') return held.deleting !== undefined;
  const { desired } = action;
  return (
    held.sending !== undefined &&
    held.backend === desired.backend &&
    held.identifier === desired.identifier &&
    held.profile === desired.profile &&
    held.deviceKey === desired.deviceKey &&
    isDeepStrictEqual(held.sending.payload, desired.payload) &&
    isDeepStrictEqual(held.notify, desired.notify) &&
    isDeepStrictEqual(held.facts, desired.facts)
  );
}
