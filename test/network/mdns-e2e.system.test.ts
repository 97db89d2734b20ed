// mDNS/DNS-SD through the daemon, in the test network namespace: real responders (avahi-daemon
// with avahi-publish; python-zeroconf where a short TTL is needed) announce on loopback, and the
// engine registers and deregisters the services with a fake NuvlaBox agent, each once. A hostile
// announcer then sends malformed and flooding packets: the daemon stays up and answering.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DeviceStatus } from '../../engine/server/status-data.js';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import {
  startEngine,
  waitFor,
  workspace,
  writeConfig,
  type EngineProcess,
  type Workspace,
} from '../daemon/engine-process.js';
import { instanceSlug } from '../../engine/sources/network/mdns-services.js';
import { AVAHI_HOST, avahiMissing, startAvahi, type Avahi } from './avahi.js';
import { announce, hostilePackets, responsePacket, serviceRecords } from './mdns-packets.js';
import { outsideTestNetns, TEST_INTERFACE } from './netns.js';
import { publishWithZeroconf, zeroconfMissing } from './zeroconf-publisher.js';

const PRINTER_PROFILE = `name: mdns-printer
detect:
  network:
    mdns: { type: _ipp._tcp }
map:
  identifier: { var: network.mdns.slug }
  name: { var: network.mdns.instance }
  available: true
  classes: [printer]
  interface: Bonjour/Avahi
  product: { var: network.mdns.txt.ty }
  port: { var: network.port }
  device-path: { var: network.host }
notify:
  - backend: nuvlabox
`;

/** Waits this long at most for what a responder's announcement leads to: generous for a loaded machine. */
const DELIVERY_MS = 30_000;

const posts = (agent: FakeAgent, identifier: string) =>
  agent.requests.filter(
    (request) => request.method === 'POST' && (request.body as { identifier?: string })?.identifier === identifier,
  );
const deletes = (agent: FakeAgent, identifier: string) =>
  agent.requests.filter(
    (request) => request.method === 'DELETE' && decodeURIComponent(request.path).endsWith(`/${identifier}`),
  );
const documentOf = (agent: FakeAgent, identifier: string) => {
  const { parent: _parent, version: _version, ...document } = agent.peripherals.get(identifier)!;
  return document;
};

interface Setup {
  space: Workspace;
  agent: FakeAgent;
  engine: EngineProcess;
}

async function withDaemon(body: (setup: Setup) => Promise<void>, sourceSettings = ''): Promise<void> {
  const space = workspace();
  const agent = await startFakeAgent();
  writeConfig(space, agent.url, `sources:\n  network: { interfaces: [${TEST_INTERFACE}]${sourceSettings} }\n`);
  writeFileSync(path.join(space.profiles, 'printer.yaml'), PRINTER_PROFILE);
  const engine = await startEngine(space);
  try {
    await body({ space, agent, engine });
  } catch (error) {
    // What the engine said, to tell a discovery problem from a delivery one.
    const said = engine.logs.filter((line) => line.level !== 'debug' || /device|mDNS/.test(line.msg));
    throw new Error(`${String(error)}\nengine log:\n${said.map((line) => JSON.stringify(line)).join('\n')}`);
  } finally {
    await engine.stop();
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

const skipAvahi = outsideTestNetns || avahiMissing() || false;

describe('mDNS services through the daemon (avahi)', { skip: skipAvahi }, () => {
  let avahi: Avahi;
  before(async () => {
    avahi = await startAvahi();
  });
  after(() => avahi?.stop());

  test('a service published before and one after the start register once each with the expected document; withdrawn, each is deleted once', async () => {
    const office = await avahi.publish('Office Printer', '_ipp._tcp', 631, ['ty=LaserJet 400', 'rp=ipp/print']);
    await withDaemon(async ({ agent }) => {
      const officeId = instanceSlug('Office Printer', '_ipp._tcp');
      await waitFor('the published printer to be registered', () => agent.peripherals.has(officeId), DELIVERY_MS);
      assert.deepEqual(documentOf(agent, officeId), {
        identifier: officeId,
        name: 'Office Printer',
        available: true,
        classes: ['printer'],
        interface: 'Bonjour/Avahi',
        product: 'LaserJet 400',
        port: 631,
        'device-path': `${AVAHI_HOST}.local`,
      });
      const lab = await avahi.publish('Lab Printer', '_ipp._tcp', 8631, ['ty=Label']);
      const labId = instanceSlug('Lab Printer', '_ipp._tcp');
      await waitFor('the printer announced later to be registered', () => agent.peripherals.has(labId), DELIVERY_MS);
      assert.equal(documentOf(agent, labId).port, 8631);

      await office.withdraw();
      await waitFor('the withdrawn printer to be deleted', () => !agent.peripherals.has(officeId), DELIVERY_MS);
      await lab.withdraw();
      await waitFor('the other withdrawn printer to be deleted', () => !agent.peripherals.has(labId), DELIVERY_MS);
      for (const identifier of [officeId, labId]) {
        assert.equal(posts(agent, identifier).length, 1, `POSTs of ${identifier}`);
        assert.equal(deletes(agent, identifier).length, 1, `DELETEs of ${identifier}`);
      }
      assert.equal(agent.peripherals.size, 0);
    });
  });
});

describe(
  'mDNS services through the daemon (python-zeroconf, short TTL)',
  { skip: outsideTestNetns || zeroconfMissing() || false },
  () => {
    test('a responder killed without a goodbye is deleted once its records expire, and not registered again', () =>
      withDaemon(async ({ agent }) => {
        const identifier = 'Short-Lived._ipp._tcp.local';
        // Records living 10 s: refreshed at 8 to 9.5 s while the responder answers, stale 10 s after it is killed.
        const responder = await publishWithZeroconf('Short-Lived', '_ipp._tcp', 9100, 10, { ty: 'Thermal' });
        await waitFor('the service to be registered', () => agent.peripherals.has(identifier), DELIVERY_MS);
        await responder.kill();
        await waitFor('the service to be deleted after its TTL', () => !agent.peripherals.has(identifier), DELIVERY_MS);
        assert.equal(posts(agent, identifier).length, 1);
        assert.equal(deletes(agent, identifier).length, 1);
      }));
  },
);

describe('a hostile mDNS announcer', { skip: outsideTestNetns || false }, () => {
  test('malformed packets, a huge TXT and a flood leave the daemon up and answering, each peripheral registered once, at most maxDevices', () =>
    withDaemon(async ({ agent, engine }) => {
      const type = ['_ipp', '_tcp'];
      await announce(hostilePackets(type).map(({ packet }) => packet));
      const flood = Array.from({ length: 3000 }, (_, index) => responsePacket(serviceRecords(`Flood ${index}`, type)));
      const same = Array.from({ length: 2000 }, () =>
        responsePacket(serviceRecords('Same', type, { txt: ['ty=Same'] })),
      );
      const sending = announce([...flood, ...same]);
      // While the flood comes, the status server keeps answering.
      for (let round = 0; round < 5; round += 1) assert.equal((await engine.get('/devices')).status, 200);
      await sending;
      // The agent converges to exactly the peripherals present, as many as maxDevices allows.
      const present = async () => {
        const devices = (await engine.get('/devices')).body as DeviceStatus[];
        return devices.filter((device) => device.source === 'network' && device.present !== false);
      };
      await waitFor(
        'the agent to hold exactly the 20 network peripherals present',
        async () => {
          const network = await present();
          const slugs = network.map((device) => (device.facts!.network!.mdns as { slug: string }).slug).sort();
          return (
            network.length === 20 && JSON.stringify(slugs) === JSON.stringify([...agent.peripherals.keys()].sort())
          );
        },
        DELIVERY_MS * 2,
      );
      assert.equal((await engine.get('/healthz')).status, 200);
      assert.equal(engine.logs.filter((line) => line.level === 'error').length, 0);
    }, ', maxDevices: 20'));
});
