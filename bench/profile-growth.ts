// How start-up and validation grow with the number of profiles: for 10, 100, 1,000, 5,000 and
// 10,000 profiles, `engine validate` (whole process: wall time, peak RSS) and the daemon (spawn →
// `engine ready`, VmRSS at ready). Validation uses validate-many's realistic profiles (USB,
// serial probe, JSON-logic); the daemon uses daemon-footprint's file profiles, each watching
// its own path (none present), notifying a stdout backend, started twice on one state folder: a
// first start, then a restart that finds the first one's profile checks (check-cache.ts). One run
// per size, RUNS for the small ones: the large ones take long enough to be steady.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchFigure } from './bench-figure.js';
import { profileText } from './daemon-footprint.js';
import { residentKiB, startDaemon } from './engine-daemon.js';
import { cpuMsOf, measureProcess } from './measure-process.js';
import { median } from './percentile.js';
import { generatedProfile } from './validate-many.js';

// `PROFILE_GROWTH_SIZES=10000 npm run bench -- profile-growth` measures only the sizes given.
const SIZES = process.env.PROFILE_GROWTH_SIZES?.split(',').map(Number) ?? [10, 100, 1000, 5000, 10000];
const runsFor = (size: number) => (size <= 1000 ? 3 : 1);

async function validateFigures(cli: string, root: string, size: number): Promise<BenchFigure[]> {
  const folder = path.join(root, `validate-${size}`);
  mkdirSync(folder);
  for (let index = 0; index < size; index++)
    writeFileSync(path.join(folder, `generated-${index}.yaml`), generatedProfile(index));
  const runs = [];
  for (let attempt = 0; attempt < runsFor(size); attempt++) {
    const figures = await measureProcess(process.execPath, [cli, 'validate', folder]);
    if (!figures.stdout.includes(`${size} files checked: 0 errors, 0 warnings`))
      throw new Error(`unexpected validate output: ${figures.stdout.slice(-500)}`);
    runs.push(figures);
  }
  const what = `growth, ${size} profiles, engine validate (median of ${runs.length})`;
  return [
    { name: `${what}: wall time`, value: median(runs.map((run) => run.wallMs)), unit: 'ms' },
    { name: `${what}: CPU time (user+sys)`, value: median(runs.map((run) => run.cpuMs)), unit: 'ms' },
    { name: `${what}: peak RSS`, value: median(runs.map((run) => run.peakRssKiB)) / 1024, unit: 'MiB' },
  ];
}

/** The V8 option the image sets (Dockerfile, `NODE_OPTIONS`): a young generation kept small. */
export const IMAGE_NODE_OPTIONS = '--max-semi-space-size=1';

async function daemonFigures(cli: string, root: string, size: number, asImage: boolean): Promise<BenchFigure[]> {
  const [profiles, dev] = [path.join(root, `daemon-${size}`), path.join(root, `dev-${size}`)];
  if (!existsSync(profiles)) {
    mkdirSync(profiles);
    mkdirSync(dev);
    for (let index = 0; index < size; index++)
      writeFileSync(path.join(profiles, `generated-${index}.yaml`), profileText('file', index, dev));
  }
  const env = asImage ? { ...process.env, NODE_OPTIONS: IMAGE_NODE_OPTIONS } : process.env;
  const config = path.join(root, 'engine.yaml');
  writeFileSync(config, 'params: { site: bench }\nbackends:\n  nuvlabox: { type: stdout }\n');
  type Run = { readyMs: number; readyKiB: number; readyCpuMs: number };
  const runs: Run[] = [];
  const restarts: Run[] = [];
  for (let attempt = 0; attempt < runsFor(size); attempt++) {
    const state = path.join(root, `state-${size}-${attempt}-${asImage}`);
    // A first start (nothing in the state folder), then a restart that finds its profile checks.
    for (const [measured, reused] of [
      [runs, 0],
      [restarts, size],
    ] as const) {
      const daemon = await startDaemon(
        cli,
        ['--profiles', profiles, '--config', config, '--state', state, '--port', '0'],
        env,
      );
      try {
        const ready = daemon.logs.find((line) => line.msg === 'engine ready');
        if (ready?.profiles !== size)
          throw new Error(`the engine loaded ${String(ready?.profiles)} profiles, not ${size}`);
        if (ready.reused !== reused)
          throw new Error(`the engine reused ${String(ready.reused)} checks of the last start, not ${reused}`);
        measured.push({
          readyMs: daemon.readyMs,
          readyKiB: await residentKiB(daemon.pid),
          readyCpuMs: cpuMsOf(daemon.pid) ?? NaN,
        });
      } finally {
        await daemon.stop();
      }
    }
  }
  const what = `growth, ${size} profiles, daemon${asImage ? ` as the image runs it (NODE_OPTIONS=${IMAGE_NODE_OPTIONS})` : ''} (median of ${runs.length})`;
  const figures = (measured: Run[], start: string) => [
    {
      name: `${what}: spawn → \`engine ready\`${start}`,
      value: median(measured.map((run) => run.readyMs)),
      unit: 'ms',
    },
    {
      name: `${what}: CPU time (user+sys) at ready${start}`,
      value: median(measured.map((run) => run.readyCpuMs)),
      unit: 'ms',
    },
    { name: `${what}: VmRSS at ready${start}`, value: median(measured.map((run) => run.readyKiB)) / 1024, unit: 'MiB' },
  ];
  return [...figures(runs, ''), ...figures(restarts, ', restart with the checks of the last start')];
}

export async function run(cli: string): Promise<BenchFigure[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'engine-bench-growth-'));
  try {
    const figures: BenchFigure[] = [];
    for (const size of SIZES) {
      figures.push(
        ...(await validateFigures(cli, root, size)),
        ...(await daemonFigures(cli, root, size, false)),
        ...(await daemonFigures(cli, root, size, true)),
      );
    }
    return figures;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
