// A ConfigMap-style profile update: every file of a 1,000-profile folder written again at once,
// reloaded by the daemon's own ProfileWatcher and ProfileStore, in process.
//
// How: PROFILE_COUNT of validate-many's profiles in a folder, loaded by a ProfileStore and
// watched by a ProfileWatcher. Every file is then written again with a comment added (so every
// file is re-read, and no profile changes), ROUNDS times; each round is timed from the first
// write until the watcher has logged `profile file reloaded` for every file. Figures: the median
// round's wall time and CPU time (user + system of this process). The store's share of it is
// measured apart: the same reloads called on a second store directly, with no watcher.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtInBackendNames } from '../engine/backends/index.js';
import { createLogger } from '../engine/core/log.js';
import { ProfileStore } from '../engine/profiles/profile-store.js';
import { ProfileWatcher } from '../engine/profiles/watch-profiles.js';
import type { BenchFigure } from './bench-figure.js';
import { median } from './percentile.js';
import { generatedProfile } from './validate-many.js';

const PROFILE_COUNT = Number(process.env.BENCH_PROFILES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TIMEOUT_MS = 120_000;

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

export async function run(): Promise<BenchFigure[]> {
  const folder = mkdtempSync(path.join(tmpdir(), 'bench-reload-'));
  const files = Array.from({ length: PROFILE_COUNT }, (_, index) => path.join(folder, `profile-${index}.yaml`));
  files.forEach((file, index) => writeFileSync(file, generatedProfile(index)));
  let reloaded = 0;
  const log = createLogger('info', (line) => {
    if (line.includes('"profile file reloaded"')) reloaded++;
  });
  const store = new ProfileStore(folder, builtInBackendNames());
  await store.loadAll();
  const watcher = new ProfileWatcher(store, () => undefined, log);
  await watcher.start();
  const walls: number[] = [];
  const cpus: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      reloaded = 0;
      const started = Date.now();
      const cpuBefore = process.cpuUsage();
      files.forEach((file, index) => writeFileSync(file, `${generatedProfile(index)}# round ${round}\n`));
      while (reloaded < PROFILE_COUNT) {
        if (Date.now() - started > TIMEOUT_MS) throw new Error(`only ${reloaded} files reloaded`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      walls.push(Date.now() - started);
      cpus.push(cpuMs(cpuBefore));
    }
  } finally {
    await watcher.stop();
  }
  // The store's share: the same reloads, no watcher.
  const bare = new ProfileStore(folder, builtInBackendNames());
  await bare.loadAll();
  const storeStarted = Date.now();
  const storeCpu = process.cpuUsage();
  for (const file of files) await bare.reload(file);
  const storeMs = Date.now() - storeStarted;
  const storeCpuMs = cpuMs(storeCpu);
  rmSync(folder, { recursive: true, force: true });
  return [
    { name: `${PROFILE_COUNT} profile files rewritten at once → all reloaded: wall`, value: median(walls), unit: 'ms' },
    { name: `${PROFILE_COUNT} profile files rewritten at once → all reloaded: CPU`, value: median(cpus), unit: 'ms' },
    { name: `same ${PROFILE_COUNT} reloads on the store alone, no watcher: wall`, value: storeMs, unit: 'ms' },
    { name: `same ${PROFILE_COUNT} reloads on the store alone, no watcher: CPU`, value: storeCpuMs, unit: 'ms' },
  ];
}
