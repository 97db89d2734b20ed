// The network source with mDNS on: how long from a responder's announcement on the link to the
// backend's request, and what the daemon costs idle with the source listening. Runs only inside
// the test network namespace (npm run bench goes through scripts/in-test-netns.sh for it:
// `scripts/in-test-netns.sh node dist/bench/run.js mdns-latency`), where announcements are sent
// on loopback from port 5353 as a responder would (test/network/mdns-packets.ts).
//
// Latency: ANNOUNCEMENTS services of the profile's type are announced one at a time; for each,
// the time from just before its packet is sent to the agent's arrival stamp of its POST.
// Idle: after them, the daemon is left for WINDOW_MS (the records live 4500 s, so no refresh
// query falls in the window; the browsing queries back off to hourly) and its CPU time and
// wake-ups are read from /proc (bench/process-activity.ts).
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { instanceSlug } from '../engine/sources/network/mdns-services.js';
import { waitFor, workspace, writeConfig } from '../test/daemon/engine-process.js';
import { startFakeAgent } from '../test/fakes/fake-nuvlabox-agent.js';
import { announce, responsePacket, serviceRecords } from '../test/network/mdns-packets.js';
import { outsideTestNetns, TEST_INTERFACE } from '../test/network/netns.js';
import type { BenchFigure } from './bench-figure.js';
import { startDaemon } from './engine-daemon.js';
import { percentile } from './percentile.js';
import { idleFigures, quietAfter, readActivity } from './process-activity.js';

const ANNOUNCEMENTS = 30;
const WINDOW_MS = 30_000;
const QUIET_MS = 10_000;
const SETTLE_MAX_MS = 60_000;

const PROFILE = `name: bench-printer
detect:
  network:
    mdns: { type: _ipp._tcp }
map:
  identifier: { var: network.mdns.slug }
  available: true
  classes: [printer]
  interface: Bonjour/Avahi
notify:
  - backend: nuvlabox
`;

export async function run(cli: string): Promise<BenchFigure[]> {
  const latencyName = `mDNS announcement to agent request, ${ANNOUNCEMENTS} services one at a time`;
  const idleName = `idle, network source (mDNS) on with ${ANNOUNCEMENTS} services present, over ${WINDOW_MS / 1000} s`;
  if (outsideTestNetns) return [{ name: latencyName, value: Number.NaN, unit: 'ms', skipped: outsideTestNetns }];
  const agent = await startFakeAgent();
  const space = workspace();
  try {
    writeConfig(space, agent.url, `sources:\n  network: { interfaces: [${TEST_INTERFACE}] }\n`);
    writeFileSync(path.join(space.profiles, 'printer.yaml'), PROFILE);
    const args = ['--profiles', space.profiles, '--config', space.config, '--state', space.state, '--port', '0'];
    const daemon = await startDaemon(cli, args);
    try {
      const latencies: number[] = [];
      for (let index = 0; index < ANNOUNCEMENTS; index++) {
        const instance = `Bench ${index}`;
        const identifier = instanceSlug(instance, '_ipp._tcp');
        const packet = responsePacket(serviceRecords(instance, ['_ipp', '_tcp'], { ttl: 4500 }));
        const sentAt = Date.now();
        await announce([packet]);
        await waitFor(`the registration of ${instance}`, () => agent.peripherals.has(identifier), 30_000);
        const request = agent.requests.find(
          (entry) => (entry.body as { identifier?: string })?.identifier === identifier,
        )!;
        latencies.push(request.at - sentAt);
      }
      const settledMs = await quietAfter(daemon.pid, QUIET_MS, SETTLE_MAX_MS);
      const before = { activity: readActivity(daemon.pid), requests: agent.requests.length };
      await sleep(WINDOW_MS);
      const after = { activity: readActivity(daemon.pid), requests: agent.requests.length };
      return [
        { name: `${latencyName}: median`, value: percentile(latencies, 0.5), unit: 'ms' },
        { name: `${latencyName}: p95`, value: percentile(latencies, 0.95), unit: 'ms' },
        { name: `${latencyName}: max`, value: Math.max(...latencies), unit: 'ms' },
        {
          name: `${idleName}: from the registrations to ${QUIET_MS / 1000} s without a wake-up`,
          value: settledMs === undefined ? Number.NaN : settledMs / 1000,
          unit: 's',
          ...(settledMs === undefined ? { skipped: `not quiet within ${SETTLE_MAX_MS / 1000} s` } : {}),
        },
        ...idleFigures(idleName, before.activity, after.activity),
        {
          name: `${idleName}: requests to the agent while idle`,
          value: after.requests - before.requests,
          unit: 'requests',
        },
      ];
    } finally {
      await daemon.stop();
    }
  } finally {
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}
