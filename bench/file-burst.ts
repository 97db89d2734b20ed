// A burst: 1,000 file devices appear at once (a folder of device nodes restored, a batch of
// sensors provisioned), then all leave at once. How long until the agent holds all of them, how
// long until it holds none again, and how many requests that took: one POST and one DELETE per
// device is the target; more means a device registered or deleted twice.
//
// How: the engine runs as a daemon with one profile matching `<dev>/sensor*`, notifying a fake
// NuvlaBox agent on 127.0.0.1. The benchmark creates DEVICES empty files in a row, then polls
// (every 5 ms) until the agent holds all of them; then removes them all and polls until it holds
// none. Times run from just before the first file operation.
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeAgent, type FakeAgent } from '../test/fakes/fake-nuvlabox-agent.js';
import type { BenchFigure } from './bench-figure.js';
import { startDaemon } from './engine-daemon.js';

const DEVICES = 1000;
const TIMEOUT_MS = 120_000;

const profile = (dev: string) => `name: burst-sensor
detect:
  file: { path: "${dev}/sensor*" }
map:
  identifier: { cat: ["burst:", { var: "file.name" }] }
  name: { cat: ["Sensor ", { var: "file.name" }] }
  classes: [sensor]
  available: true
notify:
  - backend: nuvlabox
`;

/** Milliseconds from `startedAt` until the agent holds `count` peripherals (NaN past the timeout). */
async function until(agent: FakeAgent, count: number, startedAt: number): Promise<number> {
  while (agent.peripherals.size !== count) {
    if (performance.now() - startedAt > TIMEOUT_MS) return Number.NaN;
    await sleep(5);
  }
  return performance.now() - startedAt;
}

/** The most requests of `method` any one identifier received. */
function mostPerDevice(agent: FakeAgent, method: string): number {
  const counts = new Map<string, number>();
  for (const request of agent.requests) {
    if (request.method !== method) continue;
    const identifier =
      method === 'POST' ? String((request.body as { identifier?: unknown })?.identifier) : request.path;
    counts.set(identifier, (counts.get(identifier) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}

export async function run(cli: string): Promise<BenchFigure[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'engine-bench-burst-'));
  const [profiles, dev, state] = ['profiles', 'dev', 'state'].map((name) => path.join(root, name)) as [
    string,
    string,
    string,
  ];
  for (const folder of [profiles, dev, state]) mkdirSync(folder);
  writeFileSync(path.join(profiles, 'burst.yaml'), profile(dev));
  const config = path.join(root, 'engine.yaml');
  const agent = await startFakeAgent();
  writeFileSync(config, `backends:\n  nuvlabox: { type: nuvlabox-agent, url: "${agent.url}" }\n`);
  const daemon = await startDaemon(cli, ['--profiles', profiles, '--config', config, '--state', state, '--port', '0']);
  try {
    const names = Array.from({ length: DEVICES }, (_, index) => `sensor${index}`);
    let startedAt = performance.now();
    for (const name of names) writeFileSync(path.join(dev, name), '');
    const held = await until(agent, DEVICES, startedAt);
    const posts = agent.requests.filter((request) => request.method === 'POST').length;
    const mostPosts = mostPerDevice(agent, 'POST');
    startedAt = performance.now();
    for (const name of names) unlinkSync(path.join(dev, name));
    const emptied = await until(agent, 0, startedAt);
    const deletes = agent.requests.filter((request) => request.method === 'DELETE').length;
    return [
      { name: `burst: ${DEVICES} file devices created at once → all held`, value: held, unit: 'ms' },
      { name: `burst: POSTs sent for ${DEVICES} devices`, value: posts, unit: 'requests' },
      { name: 'burst: most POSTs for one device', value: mostPosts, unit: 'requests' },
      { name: `burst: ${DEVICES} file devices removed at once → none held`, value: emptied, unit: 'ms' },
      { name: `burst: DELETEs sent for ${DEVICES} devices`, value: deletes, unit: 'requests' },
      { name: 'burst: most DELETEs for one device', value: mostPerDevice(agent, 'DELETE'), unit: 'requests' },
    ];
  } finally {
    await daemon.stop();
    await agent.close();
    rmSync(root, { recursive: true, force: true });
  }
}
