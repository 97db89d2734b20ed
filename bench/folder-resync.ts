// The folder watch's backstop: what one periodic resync costs when nothing changed, the case it
// is paid for every `resyncMs` (30 s by default) on an idle gateway.
//
// How: ENTRIES empty files in one folder (a busy `/dev` holds a few hundred), watched in process
// by the engine's own FolderWatch (engine/core/folder-watch.ts). After one warm-up, ROUNDS
// resyncs run back to back; each is one `stat` and one `readdir` of the folder and a comparison
// with the last listing. Figures: CPU time (user + system, process.cpuUsage) and wall time per
// resync, and how many entries the resyncs reported changed (0 expected: nothing changed).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FolderWatch } from '../engine/core/folder-watch.js';
import { createLogger } from '../engine/core/log.js';
import type { BenchFigure } from './bench-figure.js';

const ENTRIES = 1000;
const ROUNDS = 200;

export async function run(): Promise<BenchFigure[]> {
  const folder = mkdtempSync(path.join(tmpdir(), 'bench-resync-'));
  let reported = 0;
  const watch = new FolderWatch({
    log: createLogger('error'),
    label: 'bench',
    // The benchmark runs the resyncs itself.
    resyncMs: 3_600_000,
    persistent: false,
    changed: (_folder, names) => (reported += names.length),
    replaced: () => undefined,
  });
  try {
    for (let index = 0; index < ENTRIES; index++) writeFileSync(path.join(folder, `entry${index}`), '');
    await watch.watch(folder);
    await watch.resync();
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let round = 0; round < ROUNDS; round++) await watch.resync();
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage(cpuBefore);
    return [
      {
        name: `resync of ${ENTRIES} unchanged entries: CPU time`,
        value: (cpu.user + cpu.system) / 1000 / ROUNDS,
        unit: 'ms',
      },
      { name: `resync of ${ENTRIES} unchanged entries: wall time`, value: wallMs / ROUNDS, unit: 'ms' },
      { name: `resync of ${ENTRIES} unchanged entries: entries reported`, value: reported, unit: '' },
    ];
  } finally {
    watch.close();
    rmSync(folder, { recursive: true, force: true });
  }
}
