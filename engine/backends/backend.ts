import type { Logger } from '../core/log.js';
import type { Facts } from '../core/facts.js';
import type { NotifyEntry } from '../profiles/profile.js';

/** A payload as sent to a backend: the evaluated `map` of a profile. */
export type Payload = Record<string, unknown>;

/**
 * What a backend is asked to do for one identifier. `Notify` is the type of its notify options,
 * as its definition derives them from its notify schema.
 */
export interface Change<Notify = NotifyEntry> {
  op: 'create' | 'update' | 'delete';
  identifier: string;
  /** The payload to hold (for `delete`, the last one acknowledged). */
  payload: Payload;
  /** The profile's notify entry for this backend: its options. */
  notify: Notify;
  /** What this backend returned when it last acknowledged this identifier (e.g. a balena uuid). */
  remote?: Record<string, unknown>;
  /**
   * The device's facts when its payload was mapped (for `delete`, the facts kept with the last
   * acknowledgement, since the device is gone): what local actions such as `exec` and `link` act on.
   */
  facts?: Facts;
  /** The profile the device matched. */
  profile?: string;
  /**
   * True when this engine has no record of its own for the identifier at this backend (no
   * write-ahead record of an earlier attempt, no acknowledgement): whatever the backend already
   * holds under it was registered by someone else, and must be answered with `conflict`, never
   * overwritten. Absent or false: the backend may hold it because of this engine.
   */
  firstAttempt?: boolean;
}

/** How a change ended. */
export type ApplyResult =
  /** Done; `remote` is kept with the acknowledgement and handed back with the next change. */
  | { outcome: 'acknowledged'; remote?: Record<string, unknown> }
  /** Not done, worth trying again: after `afterMs` if the backend said so (Retry-After). */
  | { outcome: 'retry'; reason: string; afterMs?: number }
  /** Not done, and trying again will not help until the payload, profile or config changes. */
  | { outcome: 'permanent'; reason: string }
  /**
   * Not done, and not to be done: the backend holds the identifier for someone else. Left
   * untouched (neither updated nor deleted); looked at again slowly until it goes.
   */
  | { outcome: 'conflict'; reason: string };

/**
 * A backend, as created from its config. The reconciler calls `apply` once at a time per
 * identifier. `apply` never throws for what the backend answers: it classifies it.
 */
export interface Backend<Notify = NotifyEntry> {
  /**
   * Called once before the first `apply`, for backends that hold something open (a listening
   * socket) or must check what they left behind. A rejection is logged; the backend still runs.
   */
  start?(): Promise<void>;
  /**
   * The changes it is given at once when the config's `delivery.concurrency` does not say
   * (DEFAULT_DELIVERY_CONCURRENCY when it does not say either).
   */
  readonly concurrency?: number;
  apply(change: Change<Notify>, signal: AbortSignal): Promise<ApplyResult>;
  /** Flushes and releases what the backend holds. */
  close(): Promise<void>;
}

/** What a backend is given when it is created. */
export interface BackendContext {
  /** Its name in the config (`nuvlabox`, ...). */
  name: string;
  log: Logger;
  /** The engine's state folder, for backends that keep files of their own. */
  stateDir: string;
}
