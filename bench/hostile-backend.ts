// The engine against a hostile NuvlaBox agent (test/fakes/misbehaving-backend.ts), with the
// default delivery settings (retry base 500 ms, cap 60 s, request timeout 10 s) and DEVICES
// devices as files in a watched folder. Three runs of a real daemon:
// - down: the agent answers every peripheral request 503 with `Retry-After: 0` (the case that
//   used to switch backoff off) for WINDOW_MS; the figure is peripheral requests per minute per
//   device over that window (its first minute, so the backoff is still ramping up).
// - hang: the agent accepts and never answers for HANG_MS, then is healthy; the figure is the
//   seconds from its recovery until every device is registered (a request sent during the hang
//   still has to time out first).
// - huge: every peripheral request is answered with a 100 MB JSON body for HUGE_MS; the figure
//   is the daemon's peak VmRSS (sampled every 50 ms) and, beside it, its VmRSS when ready.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../test/daemon/engine-process.js';
import { startMisbehavingBackend, type MisbehavingBackend } from '../test/fakes/misbehaving-backend.js';
import type { BenchFigure } from './bench-figure.js';
import { residentKiB, startDaemon, type BenchDaemon } from './engine-daemon.js';

const DEVICES = 4;
const WINDOW_MS = 60_000;
const HANG_MS = 15_000;
const HUGE_MS = 15_000;

interface Run {
  backend: MisbehavingBackend;
  daemon: BenchDaemon;
  dev: string;
  cleanUp(): Promise<void>;
}

/** A daemon with one profile matching `<dev>/sensor*` that notifies a misbehaving agent. */
async function startRun(cli: string): Promise<Run> {
  const root = mkdtempSync(path.join(tmpdir(), 'bench-hostile-'));
  const [profiles, dev, state] = ['profiles', 'dev', 'state'].map((name) => path.join(root, name)) as [
    string,
    string,
    string,
  ];
  for (const folder of [profiles, dev, state]) mkdirSync(folder);
  writeFileSync(
    path.join(profiles, 'sensor.yaml'),
    `name: sensor\ndetect:\n  file: { path: "${dev}/sensor*" }\nmap:\n  identifier: { cat: ["sensor:", { var: "file.name" }] }\n  available: true\n  classes: [sensor]\nnotify:\n  - backend: nuvlabox\n`,
  );
  const backend = await startMisbehavingBackend();
  const config = path.join(root, 'engine.yaml');
  writeFileSync(config, `backends:\n  nuvlabox: { type: nuvlabox-agent, url: "${backend.url}" }\n`);
  const daemon = await startDaemon(cli, ['--profiles', profiles, '--config', config, '--state', state, '--port', '0']);
  return {
    backend,
    daemon,
    dev,
    async cleanUp() {
      await daemon.stop();
      await backend.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const plugAll = (run: Run) => {
  for (let index = 1; index <= DEVICES; index++) writeFileSync(path.join(run.dev, `sensor${index}`), '');
};
const peripheralRequests = (run: Run) =>
  run.backend.requests.filter((request) => request.path.startsWith('/api/peripheral'));

async function whileDown(cli: string): Promise<BenchFigure[]> {
  const run = await startRun(cli);
  try {
    run.backend.mode = 'retry-after-0';
    plugAll(run);
    await waitFor('a first request', () => peripheralRequests(run).length > 0, 30_000);
    const from = peripheralRequests(run).length;
    await sleep(WINDOW_MS);
    const perDevicePerMinute = (peripheralRequests(run).length - from) / DEVICES / (WINDOW_MS / 60_000);
    return [
      {
        name: `hostile: requests/min/device, agent 503 Retry-After: 0 (first ${WINDOW_MS / 1000} s)`,
        value: perDevicePerMinute,
        unit: 'req',
      },
    ];
  } finally {
    await run.cleanUp();
  }
}

async function afterHang(cli: string): Promise<BenchFigure[]> {
  const run = await startRun(cli);
  try {
    run.backend.mode = 'hang';
    plugAll(run);
    await sleep(HANG_MS);
    run.backend.mode = 'healthy';
    const recovered = performance.now();
    await waitFor('every device registered', () => run.backend.peripherals.size === DEVICES, 120_000);
    return [
      {
        name: `hostile: recovery to convergence after a ${HANG_MS / 1000} s hang`,
        value: (performance.now() - recovered) / 1000,
        unit: 's',
      },
    ];
  } finally {
    await run.cleanUp();
  }
}

async function hugeAnswers(cli: string): Promise<BenchFigure[]> {
  const run = await startRun(cli);
  try {
    const readyKiB = await residentKiB(run.daemon.pid);
    run.backend.mode = 'huge-body';
    plugAll(run);
    let peakKiB = readyKiB;
    const until = performance.now() + HUGE_MS;
    while (performance.now() < until) {
      peakKiB = Math.max(peakKiB, await residentKiB(run.daemon.pid));
      await sleep(50);
    }
    const answered = peripheralRequests(run).length;
    return [
      { name: 'hostile: VmRSS when ready', value: readyKiB / 1024, unit: 'MiB' },
      {
        name: `hostile: peak VmRSS, agent answering 100 MB (${answered} answers in ${HUGE_MS / 1000} s)`,
        value: peakKiB / 1024,
        unit: 'MiB',
      },
    ];
  } finally {
    await run.cleanUp();
  }
}

export async function run(cli: string): Promise<BenchFigure[]> {
  return [...(await whileDown(cli)), ...(await afterHang(cli)), ...(await hugeAnswers(cli))];
}
