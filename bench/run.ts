// Runs every benchmark and prints one table, with the machine it ran on.
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchFigure } from './bench-figure.js';
import * as configmapUpdate from './configmap-update.js';
import * as daemonFootprint from './daemon-footprint.js';
import * as fileBurst from './file-burst.js';
import * as fileLatency from './file-latency.js';
import * as fileLatencyDiskLoad from './file-latency-disk-load.js';
import * as folderResync from './folder-resync.js';
import * as hostileBackend from './hostile-backend.js';
import * as idleCpu from './idle-cpu.js';
import * as matching from './matching.js';
import * as mdnsLatency from './mdns-latency.js';
import * as probeParallel from './probe-parallel.js';
import * as stateSave from './state-save.js';
import * as statusUnderLoad from './status-under-load.js';
import * as profileGrowth from './profile-growth.js';
import * as profileReload from './profile-reload.js';
import * as usbBurst from './usb-burst.js';
import * as usbLatency from './usb-latency.js';
import * as validateMany from './validate-many.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist', 'engine', 'cli.js');

/** Every benchmark; adding one is a module with `run(cli)` and a line here. */
const BENCHMARKS: { name: string; run: (cli: string) => Promise<BenchFigure[]> }[] = [
  { name: 'validate-many', ...validateMany },
  { name: 'matching', ...matching },
  { name: 'file-latency', ...fileLatency },
  { name: 'file-latency-disk-load', ...fileLatencyDiskLoad },
  { name: 'file-burst', ...fileBurst },
  { name: 'folder-resync', ...folderResync },
  { name: 'daemon-footprint', ...daemonFootprint },
  { name: 'profile-growth', ...profileGrowth },
  { name: 'configmap-update', ...configmapUpdate },
  { name: 'profile-reload', ...profileReload },
  { name: 'usb-latency', ...usbLatency },
  { name: 'usb-burst', ...usbBurst },
  { name: 'idle-cpu', ...idleCpu },
  { name: 'probe-parallel', ...probeParallel },
  { name: 'hostile-backend', ...hostileBackend },
  { name: 'state-save', ...stateSave },
  { name: 'status-under-load', ...statusUnderLoad },
  { name: 'mdns-latency', ...mdnsLatency },
];

// `npm run bench -- NAME...` runs only the benchmarks named.
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !BENCHMARKS.some((benchmark) => benchmark.name === name));
if (unknown.length > 0)
  throw new Error(
    `no benchmark named ${unknown.join(', ')}; there are ${BENCHMARKS.map((benchmark) => benchmark.name).join(', ')}`,
  );

const figures: BenchFigure[] = [];
for (const benchmark of BENCHMARKS.filter((candidate) => chosen.length === 0 || chosen.includes(candidate.name))) {
  process.stderr.write(`running ${benchmark.name}...\n`);
  figures.push(...(await benchmark.run(CLI)));
}
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`machine: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
const width = Math.max(...figures.map((figure) => figure.name.length));
console.log(`${'figure'.padEnd(width)} | value`);
console.log(`${'-'.repeat(width)}-|------`);
const shown = (figure: BenchFigure) =>
  figure.skipped ? `skipped: ${figure.skipped}` : `${figure.value.toFixed(figure.value < 10 ? 2 : 0)} ${figure.unit}`;
for (const figure of figures) console.log(`${figure.name.padEnd(width)} | ${shown(figure)}`);
