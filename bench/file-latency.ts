// Filesystem source: how long from a device node appearing (or disappearing) to the backend
// receiving the request, for the engine and for the NuvlaBox guide's mock peripheral manager
// (`inotifywait -m | while read; curl`) doing the same job against the same fake agent.
//
// How: a fake NuvlaBox agent on 127.0.0.1 logs each request with `Date.now()` on arrival. Each
// watched folder holds OTHER_ENTRIES other entries, as a real `/dev` does. CYCLES times, the
// benchmark creates `<dev>/video0` (an empty file), waits for the POST that registers it, pauses
// SETTLE_MS, deletes it, waits for the DELETE, pauses again. Both send the guide's mock document
// exactly: identifier `my-mock-peripheralXYZ`, name `Mock Peripheral`, classes `[video]`,
// available `true`, nothing else.
// Latency = arrival time − `Date.now()` just before the create or unlink call (1 ms resolution).
// The first WARMUP cycles (the engine's first healthcheck, JIT) are not counted. The engine runs
// at --log-level debug, so that its `device event` lines split its latency into detection (file
// operation → event) and the rest (matching, write-ahead state file with fsync, HTTP).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeAgent, type FakeAgent, type LoggedRequest } from '../test/fakes/fake-nuvlabox-agent.js';
import type { BenchFigure } from './bench-figure.js';
import { startDaemon, type EngineLogLine } from './engine-daemon.js';
import { percentile } from './percentile.js';
import { requestArrivals } from './request-arrivals.js';

const CYCLES = 150;
/** Other entries in each watched folder: a realistic `/dev`. */
const OTHER_ENTRIES = 300;
/** The guide's mock peripheral. */
const IDENTIFIER = 'my-mock-peripheralXYZ';
const WARMUP = 5;
const SETTLE_MS = 50;
const EVENT_TIMEOUT_MS = 5_000;
/** Each approach stops early (and says so in the figure names) past this much time. */
const PHASE_BUDGET_MS = 90_000;

/** The guide's script (step 4), watching DIR instead of /dev: the document it sends, as written. */
const MOCK_MANAGER = `#!/bin/bash
dir="$1"; api="$2"
inotifywait -m -e create -e delete "$dir" |
while read -r directory event file; do
  [[ "$file" == video0 ]] || continue
  if [[ "$event" = "CREATE" ]]; then
    curl -s -o /dev/null -X POST -H 'content-type: application/json' -d '{"identifier": "${IDENTIFIER}", "classes": ["video"], "available": true, "name": "Mock Peripheral"}' "$api/peripheral"
  fi
  if [[ "$event" = "DELETE" ]]; then
    curl -s -o /dev/null -X DELETE "$api/peripheral/${IDENTIFIER}"
  fi
done
`;

/** The same document from the engine (as the shipped profiles/mock-video0.yaml sends it). */
const ENGINE_PROFILE = (dev: string) => `name: bench-mock-video0
detect:
  file: { path: "${dev}/video0" }
map:
  identifier: ${IDENTIFIER}
  name: Mock Peripheral
  classes: [video]
  available: true
notify:
  - backend: nuvlabox
`;

/** Fills a watched folder with entries no profile wants, as /dev holds ttys, loops and the rest. */
function fillLikeDev(dev: string): void {
  for (let index = 0; index < OTHER_ENTRIES; index++) writeFileSync(path.join(dev, `tty${index}`), '');
}

type Operation = 'create' | 'delete';

interface Sample {
  op: Operation;
  file: string;
  startedAt: number;
  arrivedAt: number;
}

function isRequestFor(request: LoggedRequest, op: Operation, identifier: string): boolean {
  if (op === 'delete')
    return request.method === 'DELETE' && decodeURIComponent(request.path) === `/api/peripheral/${identifier}`;
  const body = request.body as { identifier?: unknown } | undefined;
  return (request.method === 'POST' || request.method === 'PUT') && body?.identifier === identifier;
}

/** Plays the create/delete sequence in `dev` and times each event to its request at `agent`. */
async function playEvents(
  agent: FakeAgent,
  dev: string,
  budgetMs = PHASE_BUDGET_MS,
): Promise<{ samples: Sample[]; missed: number }> {
  const samples: Sample[] = [];
  let missed = 0;
  const arrival = requestArrivals(agent, EVENT_TIMEOUT_MS);
  const phaseEnds = Date.now() + budgetMs;
  for (let index = 0; index < WARMUP + CYCLES && Date.now() < phaseEnds; index++) {
    const file = path.join(dev, 'video0');
    for (const op of ['create', 'delete'] as const) {
      const startedAt = Date.now();
      if (op === 'create') writeFileSync(file, '');
      else unlinkSync(file);
      const arrivedAt = await arrival((request) => isRequestFor(request, op, IDENTIFIER));
      if (index >= WARMUP) {
        if (arrivedAt === undefined) missed++;
        else samples.push({ op, file, startedAt, arrivedAt });
      }
      await sleep(SETTLE_MS);
    }
  }
  return { samples, missed };
}

/** p50 and p99 of each operation's latency, named `what`. */
export function latencyFigures(what: string, samples: Sample[], missed: number): BenchFigure[] {
  const figures: BenchFigure[] = [];
  for (const op of ['create', 'delete'] as const) {
    const latencies = samples.filter((sample) => sample.op === op).map((sample) => sample.arrivedAt - sample.startedAt);
    const label = op === 'create' ? 'file created → POST' : 'file deleted → DELETE';
    for (const fraction of [0.5, 0.99]) {
      figures.push({
        name: `${what}: ${label}, p${fraction * 100} of ${latencies.length}`,
        value: percentile(latencies, fraction),
        unit: 'ms',
      });
    }
  }
  if (missed > 0)
    figures.push({
      name: `${what}: events with no request within ${EVENT_TIMEOUT_MS} ms`,
      value: missed,
      unit: 'events',
    });
  return figures;
}

/** The engine's latency split at its `device event` log line: detection, then the rest (p50s). */
export function breakdownFigures(samples: Sample[], logs: EngineLogLine[]): BenchFigure[] {
  // One path comes and goes each cycle: a sample's event is the first one logged at or after it began.
  const events = logs.flatMap((line) =>
    line.msg === 'device event' && line.time ? [{ what: `${line.action} ${line.key}`, at: Date.parse(line.time) }] : [],
  );
  return (['create', 'delete'] as const).flatMap((op) => {
    const action = op === 'create' ? 'add' : 'remove';
    const logged = samples
      .filter((sample) => sample.op === op)
      .flatMap((sample) => {
        const at = events.find(
          (event) =>
            event.what === `${action} file:${sample.file}` &&
            event.at >= sample.startedAt &&
            event.at <= sample.arrivedAt,
        )?.at;
        return at === undefined ? [] : [{ ...sample, loggedAt: at }];
      });
    const what = `file latency, engine, file ${op}d: of which`;
    return [
      {
        name: `${what} detection (→ \`device event\` logged), p50`,
        value: percentile(
          logged.map((sample) => sample.loggedAt - sample.startedAt),
          0.5,
        ),
        unit: 'ms',
      },
      {
        name: `${what} delivery (\`device event\` → request), p50`,
        value: percentile(
          logged.map((sample) => sample.arrivedAt - sample.loggedAt),
          0.5,
        ),
        unit: 'ms',
      },
    ];
  });
}

/** Runs the engine on folders of its own under `root` (its state in `root/state`), and plays the events. */
export async function measureEngine(cli: string, root: string, agent: FakeAgent, budgetMs?: number) {
  const [profiles, dev, state] = ['profiles', 'dev', 'state'].map((name) => path.join(root, name)) as [
    string,
    string,
    string,
  ];
  for (const folder of [profiles, dev, state]) mkdirSync(folder);
  writeFileSync(path.join(profiles, 'mock-video0.yaml'), ENGINE_PROFILE(dev));
  fillLikeDev(dev);
  const config = path.join(root, 'engine.yaml');
  writeFileSync(config, `backends:\n  nuvlabox: { type: nuvlabox-agent, url: "${agent.url}" }\n`);
  const daemon = await startDaemon(cli, [
    '--profiles',
    profiles,
    '--config',
    config,
    '--state',
    state,
    '--port',
    '0',
    '--log-level',
    'debug',
  ]);
  try {
    return { ...(await playEvents(agent, dev, budgetMs)), logs: daemon.logs };
  } finally {
    await daemon.stop();
  }
}

/** Runs the guide's script on a folder of its own, once inotifywait watches, plays the events. */
export async function measureMock(root: string, agent: FakeAgent, budgetMs?: number) {
  const dev = path.join(root, 'mock-dev');
  mkdirSync(dev);
  fillLikeDev(dev);
  const script = path.join(root, 'peripheral-manager-mock.sh');
  writeFileSync(script, MOCK_MANAGER, { mode: 0o755 });
  // Its own process group, so that bash, inotifywait and any curl go together at the end.
  const child = spawn('bash', [script, dev, agent.url], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  try {
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const deadline = Date.now() + 10_000;
    while (!stderr.includes('Watches established')) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`the mock manager did not start: ${stderr}`);
      await sleep(10);
    }
    return await playEvents(agent, dev, budgetMs);
  } finally {
    const exited =
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // ESRCH: bash, inotifywait and curl have all exited already.
    }
    await Promise.race([exited, sleep(2_000)]);
  }
}

export const ratio = (name: string, mock: BenchFigure | undefined, engine: BenchFigure | undefined): BenchFigure => ({
  name,
  value: mock!.value / engine!.value,
  unit: 'x',
});

export async function run(cli: string): Promise<BenchFigure[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'engine-bench-latency-'));
  const agent = await startFakeAgent();
  try {
    const engine = await measureEngine(cli, root, agent);
    const engineFigures = latencyFigures('file latency, engine', engine.samples, engine.missed);
    const figures = [...engineFigures, ...breakdownFigures(engine.samples, engine.logs)];
    const missing = ['inotifywait', 'curl'].filter(
      (tool) => spawnSync(tool, ['--help'], { stdio: 'ignore' }).error !== undefined,
    );
    if (missing.length > 0) {
      const reason = `${missing.join(' and ')} not installed (Debian: apt-get install inotify-tools curl)`;
      return [
        ...figures,
        {
          name: 'file latency, guide mock manager (inotifywait + curl)',
          value: Number.NaN,
          unit: 'ms',
          skipped: reason,
        },
      ];
    }
    const mock = await measureMock(root, agent);
    const mockFigures = latencyFigures('file latency, guide mock manager', mock.samples, mock.missed);
    figures.push(...mockFigures);
    for (const [index, label] of [
      'created → POST p50',
      'created → POST p99',
      'deleted → DELETE p50',
      'deleted → DELETE p99',
    ].entries()) {
      figures.push(ratio(`file latency, mock / engine: ${label}`, mockFigures[index], engineFigures[index]));
    }
    return figures;
  } finally {
    await agent.close();
    rmSync(root, { recursive: true, force: true });
  }
}
