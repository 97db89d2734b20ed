// The status server under load: how long `GET /devices` takes while 500 clients ask at once
// and 200 file devices appear in a burst (what a fleet dashboard, a few operators' browsers and
// a Prometheus scraper do on a gateway whose devices all come up together).
//
// How: a fake NuvlaBox agent on 127.0.0.1; one profile matching `<dev>/sensor*`, notifying it.
// Once the engine is ready, CLIENTS clients (a new connection to 127.0.0.1 per request)
// start asking `/devices` together, each asking again POLL_MS after its answer came, as a
// dashboard does; DEVICES empty files are created in `<dev>` at once. Each client stops once the
// agent holds every device and `/devices` has shown them all to it matched and acknowledged, or
// after REQUESTS_PER_CLIENT requests: at most CLIENTS × REQUESTS_PER_CLIENT requests in all.
// Every request is timed, from just before it is sent to the end of its body. This is done
// ROUNDS times, each with a fresh engine; the figures are the median of all rounds' requests,
// the largest round median, the largest time, the number of requests, and how many clients saw
// the whole burst registered.
import { request } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeAgent } from '../test/fakes/fake-nuvlabox-agent.js';
import { deviceProfile, workspace, writeConfig } from '../test/daemon/engine-process.js';
import type { BenchFigure } from './bench-figure.js';
import { startDaemon } from './engine-daemon.js';
import { median } from './percentile.js';

const CLIENTS = 500;
const DEVICES = 200;
const REQUESTS_PER_CLIENT = 40;
const POLL_MS = 500;
/** Rounds, each with a fresh engine: one round's median moves with the moment the burst lands. */
const ROUNDS = 5;

/** One `GET path` on a connection of its own; resolves with the body and how long it took. */
function timedGet(port: number, pathname: string): Promise<{ ms: number; body: Buffer }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path: pathname, agent: false }, (response) => {
      // Kept as bytes: decoding every answer would cost this process more than the engine.
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ ms: performance.now() - started, body: Buffer.concat(chunks) }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/**
 * How many deliveries `/devices` shows acknowledged: with one backend, the burst's devices
 * registered (the one other source's devices have none). Counted in the bytes: parsing 500
 * answers of 160 KB would block this process, and with it the other clients' timings, for
 * longer than the engine takes to answer them.
 */
function acknowledgedCount(body: Buffer): number {
  const needle = Buffer.from('"state": "acknowledged"');
  let count = 0;
  for (let at = body.indexOf(needle); at !== -1; at = body.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** One round: a fresh engine and agent, the clients and the burst. */
async function round(cli: string): Promise<{ latencies: number[]; sawAll: number }> {
  const fakeAgent = await startFakeAgent();
  const space = workspace();
  writeConfig(space, fakeAgent.url);
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
  const daemon = await startDaemon(cli, [
    '--profiles',
    space.profiles,
    '--config',
    space.config,
    '--state',
    space.state,
    '--port',
    '0',
  ]);
  try {
    const port = Number(daemon.logs.find((line) => line.msg === 'engine ready')?.port);
    const latencies: number[] = [];
    let sawAll = 0;
    const client = async () => {
      for (let sent = 0; sent < REQUESTS_PER_CLIENT; sent++) {
        const { ms, body } = await timedGet(port, '/devices');
        latencies.push(ms);
        if (fakeAgent.peripherals.size === DEVICES && acknowledgedCount(body) === DEVICES) {
          sawAll++;
          return;
        }
        await sleep(POLL_MS);
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    for (let index = 0; index < DEVICES; index++) writeFileSync(path.join(space.dev, `sensor${index}`), '');
    await Promise.all(clients);
    return { latencies, sawAll };
  } finally {
    await daemon.stop();
    await fakeAgent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

export async function run(cli: string): Promise<BenchFigure[]> {
  const name = `status server, GET /devices by ${CLIENTS} concurrent clients while ${DEVICES} file devices appear (${ROUNDS} rounds)`;
  const rounds = [];
  for (let index = 0; index < ROUNDS; index++) rounds.push(await round(cli));
  const latencies = rounds.flatMap((result) => result.latencies);
  return [
    { name: `${name}: median`, value: median(latencies), unit: 'ms' },
    {
      name: `${name}: median of each round, largest`,
      value: Math.max(...rounds.map((result) => median(result.latencies))),
      unit: 'ms',
    },
    { name: `${name}: max`, value: Math.max(...latencies), unit: 'ms' },
    { name: `${name}: requests answered`, value: latencies.length, unit: 'requests' },
    {
      name: `${name}: clients that saw all ${DEVICES} devices, in every round`,
      value: Math.min(...rounds.map((result) => result.sawAll)),
      unit: 'clients',
    },
  ];
}
