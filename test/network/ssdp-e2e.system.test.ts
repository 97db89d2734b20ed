// SSDP through the daemon, in the test network namespace: a real UPnP light
// (gupnp-network-light) registers with a fake NuvlaBox agent once with the expected document,
// stays registered while it answers the searches made before its announcement goes stale, and
// once killed without byebye is deleted after the (configured) freshness, once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { startEngine, waitFor, workspace, writeConfig } from '../daemon/engine-process.js';
import { outsideTestNetns, TEST_INTERFACE } from './netns.js';
import { LIGHT_FACTS, startUpnpLight, upnpLightMissing, type UpnpLight } from './upnp-light.js';

const LIGHT_PROFILE = `name: upnp-light
detect:
  network:
    ssdp: { deviceType: "urn:schemas-upnp-org:device:DimmableLight:1" }
map:
  identifier: { var: network.id }
  name: { var: network.ssdp.friendlyName }
  available: true
  classes: [light]
  interface: SSDP
  vendor: { var: network.ssdp.manufacturer }
  product: { var: network.ssdp.modelName }
  serial-number: { var: network.ssdp.serialNumber }
  device-path: { var: network.ssdp.location }
notify:
  - backend: nuvlabox
`;

/** Freshness the test configures: a killed light is gone this long after its last answer. */
const FRESH_S = 15;
const DELIVERY_MS = 60_000;

const requestsFor = (agent: FakeAgent, method: string, identifier: string) =>
  agent.requests.filter((request) =>
    method === 'POST'
      ? request.method === 'POST' && (request.body as { identifier?: string })?.identifier === identifier
      : request.method === method && decodeURIComponent(request.path).endsWith(`/${identifier}`),
  );

const lights: UpnpLight[] = [];
after(() => {
  for (const light of lights) light.dispose();
});

test(
  'a UPnP light registers once with the expected document, stays while it answers, and is deleted once after its freshness when killed',
  { skip: outsideTestNetns || upnpLightMissing },
  async () => {
    const space = workspace();
    const agent = await startFakeAgent();
    writeConfig(
      space,
      agent.url,
      `sources:\n  network: { interfaces: [${TEST_INTERFACE}], ssdp: { maxFreshSeconds: ${FRESH_S}, searchMx: 1 } }\n`,
    );
    writeFileSync(path.join(space.profiles, 'light.yaml'), LIGHT_PROFILE);
    const engine = await startEngine(space);
    try {
      const name = `Desk ${randomUUID().slice(0, 8)}`;
      const light = await startUpnpLight(name);
      lights.push(light);
      const registered = () => [...agent.peripherals.values()].find((document) => document.name === name);
      await waitFor('the light registered', () => registered() !== undefined, DELIVERY_MS);
      const { parent: _parent, version: _version, ...document } = registered()!;
      const identifier = String(document.identifier);
      assert.match(identifier, /^uuid:[0-9a-f-]{36}$/);
      assert.match(String(document['device-path']), /^http:\/\/127\.0\.0\.1:\d+\//);
      assert.deepEqual(document, {
        identifier,
        name,
        available: true,
        classes: ['light'],
        interface: 'SSDP',
        vendor: LIGHT_FACTS.manufacturer,
        product: LIGHT_FACTS.modelName,
        'serial-number': LIGHT_FACTS.serialNumber,
        'device-path': document['device-path'],
      });

      // Past one whole freshness it is still there: the searches before it went stale were answered.
      const since = Date.now();
      await waitFor('one freshness to pass', () => Date.now() - since > (FRESH_S + 2) * 1000, DELIVERY_MS);
      assert.ok(agent.peripherals.has(identifier), 'a light that answers stays registered');

      await light.kill();
      await waitFor('the killed light deleted', () => !agent.peripherals.has(identifier), DELIVERY_MS);
      assert.equal(requestsFor(agent, 'POST', identifier).length, 1, 'registered once');
      assert.equal(requestsFor(agent, 'DELETE', identifier).length, 1, 'deleted once');
      assert.equal((await engine.get('/healthz')).status, 200);
    } finally {
      await engine.stop();
      await agent.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  },
);
