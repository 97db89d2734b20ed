// The daemon's footprint with 1,000 profiles loaded: start-up time and resident memory.
//
// How: a generated profiles folder of 1,000 profiles, in two kinds. `file`: filesystem-source
// profiles, each watching its own literal path `<tmp>/dev/device-N` (none of them present), so
// the file source really watches them; this is what the daemon can run today. `usb`: USB
// profiles with distinct vendor:product ids, as a real fleet's would be; the USB source is not
// built yet, so they are loaded, validated and indexed, and nothing watches USB. The profiles
// notify `nuvlabox`, configured as type stdout; no device is present, so nothing is sent. For
// each kind, RUNS times: spawn `node cli --profiles DIR --config FILE --state DIR --port 0`,
// time from just before spawn to the arrival of the `engine ready` JSON line on stderr, read
// VmRSS from /proc/<pid>/status then and again after IDLE_MS of idling, stop it with SIGTERM.
// Each figure is the median of the RUNS values.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchFigure } from './bench-figure.js';
import { inotifyWatches, residentKiB, startDaemon } from './engine-daemon.js';
import { cpuMsOf } from './measure-process.js';
import { median } from './percentile.js';

const PROFILE_COUNT = 1000;
const RUNS = 3;
const IDLE_MS = 5000;

type ProfileKind = 'file' | 'usb';

const hex = (value: number) => value.toString(16).padStart(4, '0');

/** The detect block of profile `index` of `kind`, indented for the profile text. */
function detectOf(kind: ProfileKind, index: number, dev: string): string {
  if (kind === 'file') return `  file: { path: "${dev}/device-${index}" }`;
  return `  usb:\n    vendorId: "${hex(0x1000 + Math.floor(index / 10))}"\n    productId: "${hex(0x0100 + (index % 10))}"`;
}

export function profileText(kind: ProfileKind, index: number, dev: string): string {
  const fact = kind === 'file' ? 'file.name' : 'usb.serialNumber';
  return `name: generated-${kind}-${index}
description: Generated ${kind} profile number ${index}
detect:
${detectOf(kind, index, dev)}
map:
  identifier: { cat: ["dev-${index}:", { var: "${fact}" }] }
  name: Device ${index}
  available: true
  classes: [generated]
  interface: USB
  description: { cat: ["Site ", { var: "params.site" }] }
notify:
  - backend: nuvlabox
`;
}

interface Run {
  readyMs: number;
  readyKiB: number;
  idleKiB: number;
  readyCpuMs: number;
  watches: number;
}

async function measureOnce(cli: string, root: string, profiles: string, config: string, attempt: number): Promise<Run> {
  const state = path.join(root, `state-${attempt}`);
  const daemon = await startDaemon(cli, ['--profiles', profiles, '--config', config, '--state', state, '--port', '0']);
  try {
    const ready = daemon.logs.find((line) => line.msg === 'engine ready');
    if (ready?.profiles !== PROFILE_COUNT)
      throw new Error(`the engine loaded ${String(ready?.profiles)} profiles, not ${PROFILE_COUNT}`);
    const readyKiB = await residentKiB(daemon.pid);
    const readyCpuMs = cpuMsOf(daemon.pid) ?? NaN;
    const watches = await inotifyWatches(daemon.pid);
    await sleep(IDLE_MS);
    return { readyMs: daemon.readyMs, readyKiB, idleKiB: await residentKiB(daemon.pid), readyCpuMs, watches };
  } finally {
    await daemon.stop();
  }
}

async function measureKind(cli: string, kind: ProfileKind): Promise<BenchFigure[]> {
  const root = mkdtempSync(path.join(tmpdir(), `engine-bench-footprint-${kind}-`));
  try {
    const [profiles, dev] = [path.join(root, 'profiles'), path.join(root, 'dev')];
    mkdirSync(profiles);
    mkdirSync(dev);
    for (let index = 0; index < PROFILE_COUNT; index++)
      writeFileSync(path.join(profiles, `generated-${index}.yaml`), profileText(kind, index, dev));
    const config = path.join(root, 'engine.yaml');
    writeFileSync(config, 'params: { site: bench }\nbackends:\n  nuvlabox: { type: stdout }\n');
    const runs: Run[] = [];
    for (let attempt = 0; attempt < RUNS; attempt++) runs.push(await measureOnce(cli, root, profiles, config, attempt));
    const what = `daemon, ${PROFILE_COUNT} ${kind} profiles, median of ${RUNS}`;
    return [
      { name: `${what}: spawn → \`engine ready\``, value: median(runs.map((run) => run.readyMs)), unit: 'ms' },
      { name: `${what}: CPU time (user+sys) at ready`, value: median(runs.map((run) => run.readyCpuMs)), unit: 'ms' },
      { name: `${what}: inotify watches at ready`, value: median(runs.map((run) => run.watches)), unit: '' },
      { name: `${what}: VmRSS at ready`, value: median(runs.map((run) => run.readyKiB)) / 1024, unit: 'MiB' },
      {
        name: `${what}: VmRSS after ${IDLE_MS / 1000} s idle`,
        value: median(runs.map((run) => run.idleKiB)) / 1024,
        unit: 'MiB',
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function run(cli: string): Promise<BenchFigure[]> {
  return [...(await measureKind(cli, 'file')), ...(await measureKind(cli, 'usb'))];
}
