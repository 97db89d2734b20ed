// The status server under load: how long `GET /devices` takes while 500 clients poll it and
// 200 file devices appear in a burst (what a fleet dashboard, a few operators' browsers and a
// Prometheus scraper do on a gateway whose devices all come up together).
//
// How: a fake NuvlaBox agent on 127.0.0.1; one profile matching `<dev>/sensor*`, notifying it.
// Each round has a fresh engine and two parts:
// 1. The stampede: once the engine is ready, CLIENTS requests at the same instant, nothing else
//    happening. This is the floor two processes sharing this machine's cores give 500 new
//    connections at once, however fast the engine answers.
// 2. The burst under polling: CLIENTS clients (a new connection to 127.0.0.1 per request) poll
//    `/devices`, each asking again POLL_MS after its answer came, as a dashboard does; they
//    start spread over one POLL_MS, as clients that are not synchronised to the millisecond do.
//    Once every client has been answered once, DEVICES empty files are created in `<dev>` at
//    once. Each client stops once the agent holds every device and `/devices` has shown them all
//    to it matched and acknowledged, or after REQUESTS_PER_CLIENT requests.
// Every request is timed, from just before it is sent to the end of its body. The figures are
// over all rounds: the median and the 90th percentile of the requests sent while the burst was
// under way (from the first file created to the agent holding every device), the median of all
// requests, the largest time, and the stampede's median. The clients ask for gzip, as browsers
// and HTTP libraries do; then the same is done with clients that do not (curl without
// `--compressed`), whose answers are 30 times larger.
import { request } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { startFakeAgent } from '../test/fakes/fake-nuvlabox-agent.js';
import { deviceProfile, workspace, writeConfig } from '../test/daemon/engine-process.js';
import type { BenchFigure } from './bench-figure.js';
import { startDaemon } from './engine-daemon.js';
import { median, percentile } from './percentile.js';

const CLIENTS = 500;
const DEVICES = 200;
const REQUESTS_PER_CLIENT = 40;
const POLL_MS = 500;
/** Rounds, each with a fresh engine: one round's figures move with the moment the burst lands. */
const ROUNDS = 5;

interface TimedAnswer {
  /** When it was sent, on this process's `performance.now()` clock. */
  sentAt: number;
  ms: number;
  /** The body as sent. */
  body: Buffer;
  gzipped: boolean;
}

/** One `GET path` on a connection of its own, asking for gzip or not. */
function timedGet(port: number, pathname: string, gzip: boolean): Promise<TimedAnswer> {
  const sentAt = performance.now();
  const headers = gzip ? { 'accept-encoding': 'gzip' } : {};
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path: pathname, agent: false, headers }, (response) => {
      // Kept as bytes: decoding every answer would cost this process more than the engine.
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          sentAt,
          ms: performance.now() - sentAt,
          body: Buffer.concat(chunks),
          gzipped: response.headers['content-encoding'] === 'gzip',
        }),
      );
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

interface Round {
  /** Every request's time, with when it was sent. */
  requests: { sentAt: number; ms: number }[];
  /** When the first file was created and when the agent held every device. */
  burst: { from: number; to: number };
  stampede: number[];
  sawAll: number;
  /** Whether every answer came compressed (gzip) or every one plain (not). */
  encodedAsAsked: boolean;
}

/** One round: a fresh engine and agent, the stampede, then the clients and the burst. */
async function round(cli: string, gzip: boolean): Promise<Round> {
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
    const stampede = (await Promise.all(Array.from({ length: CLIENTS }, () => timedGet(port, '/devices', gzip)))).map(
      (answer) => answer.ms,
    );
    const requests: Round['requests'] = [];
    let sawAll = 0;
    let encodedAsAsked = true;
    let answeredOnce = 0;
    let allAnsweredOnce!: () => void;
    const polling = new Promise<void>((resolve) => (allAnsweredOnce = resolve));
    const client = async (index: number) => {
      await sleep((index * POLL_MS) / CLIENTS);
      for (let sent = 0; sent < REQUESTS_PER_CLIENT; sent++) {
        const { sentAt, ms, body, gzipped } = await timedGet(port, '/devices', gzip);
        requests.push({ sentAt, ms });
        if (gzipped !== gzip) encodedAsAsked = false;
        if (sent === 0 && ++answeredOnce === CLIENTS) allAnsweredOnce();
        // Decompressed only once the agent holds every device: the answers that can end the client.
        if (
          fakeAgent.peripherals.size === DEVICES &&
          acknowledgedCount(gzipped ? gunzipSync(body) : body) === DEVICES
        ) {
          sawAll++;
          return;
        }
        await sleep(POLL_MS);
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, index) => client(index));
    await polling;
    const from = performance.now();
    for (let index = 0; index < DEVICES; index++) writeFileSync(path.join(space.dev, `sensor${index}`), '');
    while (fakeAgent.peripherals.size !== DEVICES) await sleep(5);
    const burst = { from, to: performance.now() };
    await Promise.all(clients);
    return { requests, burst, stampede, sawAll, encodedAsAsked };
  } finally {
    await daemon.stop();
    await fakeAgent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

/** The figures of ROUNDS rounds whose clients ask for gzip or not. */
async function rounds(cli: string, gzip: boolean): Promise<BenchFigure[]> {
  const clients = gzip ? 'clients asking for gzip' : 'clients not asking for gzip';
  const name = `status server, GET /devices by ${CLIENTS} ${clients}, ${DEVICES} file devices appearing (${ROUNDS} rounds)`;
  const results: Round[] = [];
  for (let index = 0; index < ROUNDS; index++) results.push(await round(cli, gzip));
  const all = results.flatMap((result) => result.requests.map((request) => request.ms));
  const duringBurst = results.flatMap(({ requests, burst }) =>
    requests.filter((request) => request.sentAt >= burst.from && request.sentAt <= burst.to).map(({ ms }) => ms),
  );
  return [
    { name: `${name}: sent during the burst, median`, value: median(duringBurst), unit: 'ms' },
    { name: `${name}: sent during the burst, 90th percentile`, value: percentile(duringBurst, 0.9), unit: 'ms' },
    { name: `${name}: sent during the burst`, value: duringBurst.length, unit: 'requests' },
    { name: `${name}: all requests, median`, value: median(all), unit: 'ms' },
    { name: `${name}: all requests, max`, value: Math.max(...all), unit: 'ms' },
    {
      name: `${name}: burst, first file to all held, median`,
      value: median(results.map(({ burst }) => burst.to - burst.from)),
      unit: 'ms',
    },
    {
      name: `${name}: ${CLIENTS} requests at once before the burst (the stampede), median`,
      value: median(results.flatMap((result) => result.stampede)),
      unit: 'ms',
    },
    {
      name: `${name}: clients that saw all ${DEVICES} devices, in every round`,
      value: Math.min(...results.map((result) => result.sawAll)),
      unit: 'clients',
    },
    {
      name: `${name}: rounds whose every answer was ${gzip ? 'gzip' : 'plain'}`,
      value: results.filter((result) => result.encodedAsAsked).length,
      unit: 'rounds',
    },
  ];
}

export async function run(cli: string): Promise<BenchFigure[]> {
  return [...(await rounds(cli, true)), ...(await rounds(cli, false))];
}
