// Checking a profile file is mostly parsing its YAML and running the schema on it, on one core:
// 10,000 files took the daemon more than 2 s to start on a 2-core machine, one core busy and
// the other mostly idle. At start-up the store therefore checks a large folder on this thread
// and on worker threads at once. Files are checked in batches; every thread claims the next
// unclaimed batch from one shared counter, so a helper that starts late or runs slowly takes
// fewer. The checks reach the store in file order whichever thread made them (which file of two
// with one name is used depends on it), and a batch a helper claimed but never handed back (it
// failed, or could not start) is checked here: nothing depends on the helpers but the speed.
import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { BackendNames } from '../backends/index.js';
import type { FileCheck } from './file-check.js';

/**
 * Files per batch: about a millisecond of checks, so the status server answers between batches.
 * Defined here, not in load-profiles.ts (whose READ_BATCH it is): this module must stay light,
 * the helpers start before the daemon's modules load.
 */
export const CHECK_BATCH = 64;

/** Below this many files a helper costs more than it saves: starting one is about 0.1 s of CPU. */
export const PARALLEL_FROM = 1000;

/**
 * The most helper threads. Each holds its own heap while it checks: with 10,000 profiles one
 * raised the peak resident memory of the start by about 17 MiB (it is returned once they end),
 * and a third thread on a small board mostly waits for the same memory as the other two.
 */
const MAX_HELPERS = 2;

/** What a helper thread is given: the files, what it needs to check them, the shared claim counter. */
export interface CheckWorkerData {
  files: readonly string[];
  folders: readonly string[];
  /** The backend names profiles may notify, with their type (BackendNames, as plain data). */
  backends: [name: string, type: string][];
  /** One Int32: the next batch to claim. */
  claims: SharedArrayBuffer;
}

/** What a helper hands back: the checks of one batch it claimed. */
export interface CheckedBatch {
  batch: number;
  checks: FileCheck[];
}

/** How many helpers this machine can use: none on a single core. */
export const helpersWanted = (): number => Math.max(0, Math.min(availableParallelism() - 1, MAX_HELPERS));

/** The files of one batch. */
export const batchOf = (files: readonly string[], batch: number): readonly string[] =>
  files.slice(batch * CHECK_BATCH, (batch + 1) * CHECK_BATCH);

/** A helper thread, started before its job is known so that it loads its modules meanwhile. */
export class CheckHelper {
  private readonly worker: Worker;
  /** Resolves when the thread has ended, however it ended. */
  readonly gone: Promise<void>;
  private failed: string | undefined;
  private assigned = false;
  private ending = false;
  private received: (batch: CheckedBatch) => void = () => undefined;

  private constructor(module: URL) {
    this.worker = new Worker(module);
    this.worker.on('message', (batch: CheckedBatch) => this.received(batch));
    // A helper that fails leaves its batches to the main thread, which says so once it is done.
    this.worker.on('error', (error) => (this.failed ??= error.message));
    this.gone = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    // Waiting for a job, it keeps no process alive (a start refused before the profiles are
    // read). After the listeners: adding a message listener holds the process again.
    this.worker.unref();
  }

  /** Starts `count` helpers; fewer when a thread cannot be started. `module`: a test's stand-in. */
  static start(count: number, module = new URL('./check-worker.js', import.meta.url)): CheckHelper[] {
    const started: CheckHelper[] = [];
    for (let index = 0; index < count; index++) {
      try {
        started.push(new CheckHelper(module));
      } catch {
        break;
      }
    }
    return started;
  }

  /** Why the thread failed (its module did not load, it threw), if it did; final once `gone`. */
  get failure(): string | undefined {
    return this.failed;
  }

  /** Gives the helper its job; each batch it checks is handed to `received`. */
  assign(job: CheckWorkerData, received: (batch: CheckedBatch) => void): void {
    this.received = received;
    this.assigned = true;
    this.worker.ref();
    this.worker.postMessage(job);
  }

  /** Ends the thread, whatever it is doing; `gone` resolves once it has ended. */
  end(): void {
    if (this.ending) return;
    this.ending = true;
    this.worker.terminate().catch(() => undefined);
  }

  /**
   * Ends the thread unless it was given a job: one that was ends by itself once no batch is left
   * to claim, or once it failed, so that `failure` then says whether it could check at all.
   */
  endIfIdle(): void {
    if (!this.assigned) this.end();
  }
}

/**
 * Checks every file, on this thread (`checkHere`) and on the helper threads, and hands each
 * file's check to `take` in the order of `files`. Lets other work run between batches. The
 * helpers are used only for a large folder; whoever started them ends them after. Resolves with
 * how many of the files the helpers checked.
 */
export async function checkInParallel(
  files: readonly string[],
  checkHere: (file: string) => FileCheck,
  take: (file: string, check: FileCheck) => void,
  helpers: { started: readonly CheckHelper[]; folders: readonly string[]; backends: BackendNames },
): Promise<number> {
  const batches = Math.ceil(files.length / CHECK_BATCH);
  const claims = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const counter = new Int32Array(claims);
  const results: (FileCheck[] | undefined)[] = [];
  let taken = 0;
  let helped = 0;
  let allTaken: () => void = () => undefined;
  const takeReady = () => {
    for (let checks = results[taken]; checks !== undefined; checks = results[taken]) {
      results[taken] = undefined;
      checks.forEach((check, index) => take(files[taken * CHECK_BATCH + index]!, check));
      taken++;
    }
    if (taken === batches) allTaken();
  };
  const checkBatch = (batch: number) => batchOf(files, batch).map(checkHere);
  const working = files.length >= PARALLEL_FROM ? helpers.started : [];
  const job: CheckWorkerData = {
    files,
    folders: helpers.folders,
    backends: [...helpers.backends].map(([name, definition]) => [name, definition.type]),
    claims,
  };
  for (const helper of working)
    helper.assign(job, ({ batch, checks }) => {
      // After this call has returned (or for a batch checked here instead), a late batch is dropped.
      if (batch < taken || results[batch] !== undefined || taken === batches) return;
      results[batch] = checks;
      helped += checks.length;
      takeReady();
    });
  for (let batch = Atomics.add(counter, 0, 1); batch < batches; batch = Atomics.add(counter, 0, 1)) {
    results[batch] = checkBatch(batch);
    takeReady();
    await nextTurn();
  }
  // Every batch is claimed: wait for those the helpers are still checking, or for the helpers to end.
  if (taken < batches) {
    const done = new Promise<void>((resolve) => (allTaken = resolve));
    await Promise.race([done, Promise.all(working.map((helper) => helper.gone))]);
  }
  for (let batch = taken; batch < batches; batch++) results[batch] ??= checkBatch(batch);
  takeReady();
  return helped;
}
