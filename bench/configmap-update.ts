// A Kubernetes ConfigMap update of a 1,000-profile folder: every file read again, each changed.
//
// How: the profiles folder is laid out as a ConfigMap volume is (`..<version>/` holding the
// files, `..data` a link to it, each profile a link through `..data`); PROFILES file profiles
// (daemon-footprint's), DEVICES of them matching a present file, notifying a stdout backend.
// Once the engine is ready and has registered the devices, a new version with every profile's
// payload changed is written and `..data` swapped to it (a link renamed over, as the kubelet
// does). Settled: every file logged as reloaded (one by one, or counted in a large batch's
// summary line) and every device's update printed by the stdout backend. Figures: swap →
// settled, and the engine's CPU time over it, the median of RUNS updates (each to a new version).
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchFigure } from './bench-figure.js';
import { profileText } from './daemon-footprint.js';
import { startDaemon, type BenchDaemon } from './engine-daemon.js';
import { cpuMsOf } from './measure-process.js';
import { median } from './percentile.js';

const PROFILES = 1000;
const DEVICES = 10;
const RUNS = 3;
const SETTLE_TIMEOUT_MS = 120_000;

/** Profile `index` of `version`: version 1 as generated, later ones with another device name. */
const versionText = (index: number, version: number, dev: string) =>
  profileText('file', index, dev).replace(`  name: Device ${index}\n`, `  name: Device ${index} v${version}\n`);

/** Writes `..v<version>/` and points `..data` at it, as the kubelet publishes an update. */
function publish(profiles: string, dev: string, version: number): void {
  const folder = path.join(profiles, `..v${version}`);
  mkdirSync(folder);
  for (let index = 0; index < PROFILES; index++)
    writeFileSync(path.join(folder, `generated-${index}.yaml`), versionText(index, version, dev));
  symlinkSync(`..v${version}`, path.join(profiles, '..data_tmp'));
  renameSync(path.join(profiles, '..data_tmp'), path.join(profiles, '..data'));
}

/** Polls until `done`, every 5 ms (the figure's resolution); a timeout names `progress()`. */
async function until(what: string, done: () => boolean, progress = () => ''): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`configmap-update: timed out waiting for ${what}${progress()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const printed = (lines: string[], version: number) =>
  lines.filter((line) => line.includes(` v${version}"`) || (version === 1 && line.includes('"op":"create"'))).length;

async function update(daemon: BenchDaemon, lines: string[], root: string, version: number) {
  const [profiles, dev] = [path.join(root, 'profiles'), path.join(root, 'dev')];
  const logged = daemon.logs.length;
  const cpuBefore = cpuMsOf(daemon.pid) ?? NaN;
  const started = performance.now();
  publish(profiles, dev, version);
  // A large batch is logged as one `profile files reloaded` line with its count, a small one file by file.
  const reloaded = () =>
    daemon.logs
      .slice(logged)
      .reduce(
        (sum, line) =>
          sum +
          (line.msg === 'profile file reloaded' ? 1 : line.msg === 'profile files reloaded' ? Number(line.files) : 0),
        0,
      );
  await until(
    `version ${version} to settle`,
    () => reloaded() >= PROFILES && printed(lines, version) >= DEVICES,
    () => `: ${reloaded()} of ${PROFILES} files reloaded, ${printed(lines, version)} of ${DEVICES} updates printed`,
  );
  const settledMs = performance.now() - started;
  rmSync(path.join(profiles, `..v${version - 1}`), { recursive: true });
  return { settledMs, cpuMs: (cpuMsOf(daemon.pid) ?? NaN) - cpuBefore };
}

export async function run(cli: string): Promise<BenchFigure[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'engine-bench-configmap-'));
  const [profiles, dev] = [path.join(root, 'profiles'), path.join(root, 'dev')];
  mkdirSync(profiles);
  mkdirSync(dev);
  for (let index = 0; index < DEVICES; index++) writeFileSync(path.join(dev, `device-${index}`), '');
  publish(profiles, dev, 1);
  for (let index = 0; index < PROFILES; index++)
    symlinkSync(`..data/generated-${index}.yaml`, path.join(profiles, `generated-${index}.yaml`));
  const config = path.join(root, 'engine.yaml');
  writeFileSync(config, 'params: { site: bench }\nbackends:\n  nuvlabox: { type: stdout }\n');
  const lines: string[] = [];
  let pending = '';
  const daemon = await startDaemon(
    cli,
    ['--profiles', profiles, '--config', config, '--state', path.join(root, 'state'), '--port', '0'],
    process.env,
    (chunk) => {
      const split = (pending + chunk).split('\n');
      pending = split.pop()!;
      lines.push(...split);
    },
  );
  try {
    await until('the devices to be registered', () => printed(lines, 1) >= DEVICES);
    const runs = [];
    for (let version = 2; version < 2 + RUNS; version++) runs.push(await update(daemon, lines, root, version));
    const what = `ConfigMap update, ${PROFILES} profiles each changed, ${DEVICES} devices (median of ${RUNS})`;
    return [
      { name: `${what}: \`..data\` swap → settled`, value: median(runs.map((run) => run.settledMs)), unit: 'ms' },
      { name: `${what}: engine CPU time (user+sys)`, value: median(runs.map((run) => run.cpuMs)), unit: 'ms' },
    ];
  } finally {
    await daemon.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
