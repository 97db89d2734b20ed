// Filesystem source under disk write load, as on a gateway whose SD card other containers write
// to: the same create/delete cycles as file-latency.ts, the engine side by side with the guide's
// `inotifywait | curl` loop, while `stress-ng --hdd 1` writes (buffered) to the file system that
// holds the engine's state folder. This is where a flush on the request's path shows: the
// write-ahead record's `fdatasync` waits behind stress-ng's dirty pages.
//
// How: stress-ng runs in a folder beside the state folder (same file system) for both phases
// only, each phase at most PHASE_BUDGET_MS (so stress-ng runs about two minutes in all); the
// figures are p50/p99 per operation and the loop's latency divided by the engine's (above 1: the
// engine is faster). Skipped, saying why, without stress-ng, inotifywait or curl.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeAgent } from '../test/fakes/fake-nuvlabox-agent.js';
import type { BenchFigure } from './bench-figure.js';
import { breakdownFigures, latencyFigures, measureEngine, measureMock, ratio } from './file-latency.js';

const PHASE_BUDGET_MS = 50_000;
const WHAT = 'file latency under stress-ng --hdd 1';

/** Starts `stress-ng --hdd 1` writing in `folder`; it stops on its own after `seconds` at the latest. */
function startDiskLoad(folder: string, seconds: number): ChildProcess {
  return spawn('stress-ng', ['--hdd', '1', '--temp-path', folder, '--timeout', `${seconds}s`, '--quiet'], {
    stdio: 'ignore',
    detached: true,
  });
}

async function stopDiskLoad(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    // ESRCH: it has stopped on its own.
  }
  await Promise.race([exited, sleep(5_000)]);
}

export async function run(cli: string): Promise<BenchFigure[]> {
  const missing = ['stress-ng', 'inotifywait', 'curl'].filter(
    (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).error !== undefined,
  );
  if (missing.length > 0)
    return [{ name: WHAT, value: Number.NaN, unit: 'ms', skipped: `${missing.join(', ')} not installed` }];
  const root = mkdtempSync(path.join(tmpdir(), 'engine-bench-disk-load-'));
  const load = path.join(root, 'load');
  mkdirSync(load);
  const agent = await startFakeAgent();
  const stress = startDiskLoad(load, Math.ceil((2 * PHASE_BUDGET_MS) / 1000) + 30);
  try {
    // Let the load build up its dirty pages first.
    await sleep(3_000);
    const engine = await measureEngine(cli, root, agent, PHASE_BUDGET_MS);
    const mock = await measureMock(root, agent, PHASE_BUDGET_MS);
    const engineFigures = latencyFigures(`${WHAT}, engine`, engine.samples, engine.missed);
    const mockFigures = latencyFigures(`${WHAT}, guide mock manager`, mock.samples, mock.missed);
    const ratios = ['created → POST p50', 'created → POST p99', 'deleted → DELETE p50', 'deleted → DELETE p99'].map(
      (label, index) => ratio(`${WHAT}, mock / engine: ${label}`, mockFigures[index], engineFigures[index]),
    );
    // The breakdown's names are file-latency.ts's own: say which run they come from.
    const breakdown = breakdownFigures(engine.samples, engine.logs).map((figure) => ({
      ...figure,
      name: figure.name.replace('file latency, engine', `${WHAT}, engine`),
    }));
    return [...engineFigures, ...breakdown, ...mockFigures, ...ratios];
  } finally {
    await stopDiskLoad(stress);
    await agent.close();
    rmSync(root, { recursive: true, force: true });
  }
}
