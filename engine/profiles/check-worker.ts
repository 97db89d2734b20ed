// A helper thread of check-in-parallel.ts: claims batches of profile files from the shared
// counter, checks them exactly as the store does on the main thread, and hands each batch back.
// It loads its modules as soon as it starts, waits for its one job, and ends when no batch is left.
import { parentPort } from 'node:worker_threads';
import { backendType, type BackendNames } from '../backends/index.js';
import { batchOf, type CheckedBatch, type CheckWorkerData } from './check-in-parallel.js';
import { checkRead } from './file-check.js';
import { validationContext } from './load-profiles.js';
import { layerOfFile } from './profile-layers.js';
import { readProfileFileSync } from './read-profile-file.js';
import { validateProfileText } from './validate-profile.js';

/** Checks the job's files, batch by batch, until no batch is left to claim. */
function run({ files, folders, backends, claims }: CheckWorkerData): void {
  const names: BackendNames = new Map(backends.map(([name, type]) => [name, backendType(type)!]));
  const context = validationContext(names);
  const layerOf = layerOfFile(folders);
  const counter = new Int32Array(claims);
  const check = (file: string, text: string) => validateProfileText(file, text, context);
  for (let batch = Atomics.add(counter, 0, 1); batchOf(files, batch).length > 0; batch = Atomics.add(counter, 0, 1)) {
    const checks = batchOf(files, batch).map((file) =>
      checkRead(file, readProfileFileSync(file), layerOf(file), check)!,
    );
    parentPort!.postMessage({ batch, checks } satisfies CheckedBatch);
  }
}

// Started before the files are known (check-in-parallel.ts): the job comes as the one message.
// With no listener left, the port lets the thread end once the job is done.
parentPort!.once('message', run);
