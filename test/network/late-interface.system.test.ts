// An engine started before its network interface has an address (a gateway booting before DHCP
// answers, a cable plugged in later) says discovery is off, and starts it once the address is
// there, without a restart; when the address changes, it listens on the new one. A veth pair
// of the test network namespace stands for the link: made after the engine starts, then given
// another subnet. Peripherals announced on it each reach the agent once.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { startEngine, waitFor, workspace, writeConfig, type Workspace } from '../daemon/engine-process.js';
import { instanceSlug } from '../../engine/sources/network/mdns-services.js';
import { announce, responsePacket, serviceRecords } from './mdns-packets.js';
import { outsideTestNetns, TEST_INTERFACE } from './netns.js';

const LINK = 'englate0';
const PEER = 'englate1';

const PROFILE = `name: late-printer
detect:
  network:
    mdns: { type: _ipp._tcp }
map:
  identifier: { var: network.mdns.slug }
  name: { var: network.mdns.instance }
  available: true
  classes: [printer]
notify:
  - backend: nuvlabox
`;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

/** Announces `instance` from `address` on the link until the agent holds it. */
async function announcedUntilHeld(agent: FakeAgent, instance: string, address: string) {
  const identifier = instanceSlug(instance, '_ipp._tcp');
  await waitFor(`${instance} registered`, async () => {
    if (agent.peripherals.has(identifier)) return true;
    await announce([responsePacket(serviceRecords(instance, ['_ipp', '_tcp'], { address }))], address);
    return agent.peripherals.has(identifier);
  });
}

const posts = (agent: FakeAgent, identifier: string) =>
  agent.requests.filter(
    (request) => request.method === 'POST' && (request.body as { identifier?: string })?.identifier === identifier,
  ).length;

/** A workspace and agent for the printer profile, discovery on `interfaces`, looked at every 200 ms. */
async function printerSetUp(interfaces: string): Promise<{ space: Workspace; agent: FakeAgent }> {
  const space = workspace();
  const agent = await startFakeAgent();
  writeConfig(space, agent.url, `sources:\n  network: { interfaces: [${interfaces}], interfacesRecheckMs: 200 }\n`);
  writeFileSync(path.join(space.profiles, 'printer.yaml'), PROFILE);
  return { space, agent };
}

test(
  'discovery starts when the interface gets its address after the engine, and follows a new address',
  { skip: outsideTestNetns || false },
  async () => {
    const { space, agent } = await printerSetUp(LINK);
    try {
      ip('link', 'del', LINK);
    } catch {
      // Not there: as expected.
    }
    const engine = await startEngine(space);
    try {
      await waitFor('discovery said to be off', () =>
        engine.logs.some((line) => line.msg === 'network discovery is off'),
      );
      ip('link', 'add', LINK, 'type', 'veth', 'peer', 'name', PEER);
      ip('link', 'set', PEER, 'up');
      ip('link', 'set', LINK, 'up');
      ip('addr', 'add', '10.77.0.1/24', 'dev', LINK);
      await waitFor('discovery said to be on', () =>
        engine.logs.some((line) => line.msg === 'network discovery is on'),
      );
      await announcedUntilHeld(agent, 'First printer', '10.77.0.1');

      ip('addr', 'flush', 'dev', LINK);
      ip('addr', 'add', '10.78.0.1/24', 'dev', LINK);
      // A look between the flush and the new address finds none (discovery off, then on again);
      // otherwise the change is seen at once. Either way the engine ends on the new address.
      await waitFor('discovery moved to the new address', () =>
        engine.logs.some(
          (line) =>
            (line.msg === 'network interfaces changed; discovery restarted' ||
              line.msg === 'network discovery is on') &&
            JSON.stringify(line.addresses) === '["10.78.0.1"]',
        ),
      );
      await announcedUntilHeld(agent, 'Second printer', '10.78.0.1');
      assert.equal(posts(agent, instanceSlug('First printer', '_ipp._tcp')), 1, 'the first printer registered once');
      assert.equal(posts(agent, instanceSlug('Second printer', '_ipp._tcp')), 1, 'the second printer registered once');
      assert.equal((await engine.get('/healthz')).status, 200);
    } finally {
      await engine.stop();
      await agent.close();
      try {
        ip('link', 'del', LINK);
      } catch {
        // Already gone.
      }
      rmSync(space.root, { recursive: true, force: true });
    }
  },
);

test(
  'a protocol that could not start is started once it can: mDNS after its port is freed',
  { skip: outsideTestNetns || false },
  async () => {
    const { space, agent } = await printerSetUp(TEST_INTERFACE);
    // Held without SO_REUSEADDR: the engine's mDNS socket cannot bind the port.
    const blocker = createSocket({ type: 'udp4', reuseAddr: false });
    await new Promise<void>((resolve) => blocker.bind(5353, resolve));
    const engine = await startEngine(space);
    try {
      await waitFor('mDNS said not to start', () =>
        engine.logs.some((line) => line.msg === 'network protocol could not start' && line.protocol === 'mdns'),
      );
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
      await announcedUntilHeld(agent, 'Patient printer', '127.0.0.1');
      assert.equal(posts(agent, instanceSlug('Patient printer', '_ipp._tcp')), 1, 'registered once');
    } finally {
      await engine.stop();
      await agent.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  },
);
