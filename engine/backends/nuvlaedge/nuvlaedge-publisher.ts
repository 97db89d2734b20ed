import type { JsonStateFile } from '../../core/json-state-file.js';
import type { Logger } from '../../core/log.js';
import type { ApplyResult, Backend, Change, Payload } from '../backend.js';
import { LockError } from './nuvlaedge-lock.js';
import { type ChannelPaths, writeSnapshot } from './nuvlaedge-snapshot.js';
import { peripheralsFile, type StateFile } from './nuvlaedge-state.js';

/** What a publisher is made from. */
export interface PublisherSettings {
  channel: ChannelPaths;
  state: StateFile;
  /** Milliseconds after the last snapshot before the set is published again, unchanged. */
  republishMs: number;
  /** How long to wait for the agent to release the channel lock. */
  lockTimeoutMs: number;
  log: Logger;
  /** The flock(1) program (tests only). */
  flockCommand?: string;
}

/** The caller gave up waiting: the change is held, and the next snapshot will carry it. */
class AbortedError extends Error {}

/** The publisher was closed before the change was published. */
class ClosedError extends Error {}

/** A disk or lock failure: ENOSPC, EACCES, EROFS, ENOTDIR..., or the agent holding the lock. */
function isDiskOrLockError(error: unknown): error is Error {
  return (
    error instanceof LockError || (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string')
  );
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AbortedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The nuvlaedge-files backend: it owns the whole set of peripherals it reports, keeps it in the
 * state folder, and publishes all of it as one snapshot after every change and every
 * `republishMs`, since the agent forgets a peripheral it has not heard of for 5 minutes.
 * Changes arriving while a snapshot is written are coalesced into the next one.
 */
export class NuvlaedgePublisher implements Backend {
  private peripherals = new Map<string, Payload>();
  private readonly stateFile: JsonStateFile<Payload>;
  private loading: Promise<void> | undefined;
  private started: Promise<void> | undefined;
  /** Bumped by every change. */
  private version = 0;
  /** The version the newest snapshot in the buffer holds; the loaded set counts as version 0. */
  private publishedVersion = 0;
  /** The version the state file holds. */
  private persistedVersion = 0;
  private writing: Promise<void> | undefined;
  private lastFileName: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly settings: PublisherSettings) {
    this.stateFile = peripheralsFile(settings.state, () => this.peripherals, settings.log);
  }

  /** Loads the persisted set, publishes it unless empty, and starts the republish timer. */
  start(): Promise<void> {
    this.started ??= this.republish();
    return this.started;
  }

  async apply(change: Change, signal: AbortSignal): Promise<ApplyResult> {
    if (change.op !== 'delete' && change.payload['identifier'] !== change.identifier) {
      return {
        outcome: 'permanent',
        reason: `the document's identifier must be the change's (${JSON.stringify(change.identifier)})`,
      };
    }
    try {
      await this.load();
      if (change.op === 'delete') this.peripherals.delete(change.identifier);
      else this.peripherals.set(change.identifier, change.payload);
      await untilAborted(this.publishUpTo(++this.version), signal);
      return { outcome: 'acknowledged' };
    } catch (error) {
      if (error instanceof AbortedError) return { outcome: 'retry', reason: 'aborted before the snapshot was written' };
      if (error instanceof ClosedError) return { outcome: 'retry', reason: 'the backend is closed' };
      if (!isDiskOrLockError(error)) throw error;
      this.settings.log.warn('publishing peripherals failed', { reason: error.message });
      return { outcome: 'retry', reason: error.message };
    }
  }

  /** Stops the timer and waits for the snapshot being written, if any. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.started?.catch(() => {});
    await this.writing?.catch(() => {});
    this.stateFile.close();
    await this.stateFile.flushed();
  }

  private load(): Promise<void> {
    this.loading ??= this.stateFile.load().then(
      ({ entries }) => {
        this.peripherals = entries;
      },
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  /** Resolves once a snapshot holding `version` is in the buffer. */
  private async publishUpTo(version: number): Promise<void> {
    while (this.publishedVersion < version) {
      if (this.closed) throw new ClosedError();
      await this.startWrite();
    }
  }

  /** Publishes the set again, unless it is empty and already published. Never throws. */
  private async republish(): Promise<void> {
    try {
      await this.load();
      if (this.peripherals.size === 0 && this.publishedVersion === this.version) {
        this.settings.log.debug('nothing to republish: the empty set is published already');
        return;
      }
      await this.startWrite();
    } catch (error) {
      this.settings.log.warn('republishing peripherals failed', {
        reason: error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.armTimer();
    }
  }

  /** The snapshot being written, or a new one of the current set. */
  private startWrite(): Promise<void> {
    this.writing ??= this.writeOnce().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async writeOnce(): Promise<void> {
    // Let the changes applied in the same turn of the event loop join this snapshot.
    await new Promise((resolve) => setImmediate(resolve));
    const version = this.version;
    const snapshot = Object.fromEntries(this.peripherals);
    const { settings } = this;
    try {
      if (this.persistedVersion !== version) {
        await this.stateFile.save();
        this.persistedVersion = version;
      }
      this.lastFileName = await writeSnapshot(settings.channel, snapshot, {
        previousName: this.lastFileName,
        timeoutMs: settings.lockTimeoutMs,
        log: settings.log,
        flockCommand: settings.flockCommand,
      });
      this.publishedVersion = version;
      settings.log.debug('peripherals published', { file: this.lastFileName, count: Object.keys(snapshot).length });
    } finally {
      this.armTimer();
    }
  }

  private armTimer(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.republish(), this.settings.republishMs);
    this.timer.unref();
  }
}
