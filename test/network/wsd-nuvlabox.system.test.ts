/*
 * End to end in the suite's network namespace: a real engine with the network source on `lo`, a
 * real WS-Discovery responder (Debian's wsdd) and the fake NuvlaBox agent. wsdd is registered
 * once with exactly the document the profile maps, deregistered at once when it says Bye
 * (SIGTERM), and deregistered when killed without a word (SIGKILL) once three probe intervals
 * pass without an answer.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { startEngine, waitFor, workspace, writeConfig, type EngineProcess } from '../daemon/engine-process.js';
import { outsideTestNetns, TEST_INTERFACE } from './netns.js';
import { addTestAddress, startWsdd, WSD_TEST_ADDRESS, type Wsdd } from './wsdd.js';

/** The uuids of this test's wsdd hosts: other test files run theirs in the same namespace. */
const byBye = randomUUID();
const byKill = randomUUID();

const PROFILE = `name: wsd-host
detect:
  network:
    wsd:
      types: ["wsdp:Device", "pub:Computer"]
  when: { in: [{ var: "network.wsd.uuid" }, ["${byBye}", "${byKill}"]] }
map:
  identifier: { var: "network.wsd.uuid" }
  name: wsdd host
  description: { cat: ["WS-Discovery host ", { var: "network.wsd.endpoint" }, " at ", { var: "network.addresses.0" }] }
  available: true
  classes: [computer]
  interface: WS-Discovery
  device-path: { var: "network.wsd.xaddrs.0" }
notify:
  - backend: nuvlabox
`;

const expected = (uuid: string) => ({
  identifier: uuid,
  name: 'wsdd host',
  description: `WS-Discovery host urn:uuid:${uuid} at ${WSD_TEST_ADDRESS}`,
  available: true,
  classes: ['computer'],
  interface: 'WS-Discovery',
  'device-path': `http://${WSD_TEST_ADDRESS}:5357/${uuid}`,
});

describe('WS-Discovery peripherals through the NuvlaBox agent', { skip: outsideTestNetns }, () => {
  const space = workspace();
  let agent: FakeAgent;
  let engine: EngineProcess;
  const wsdds: Wsdd[] = [];

  const document = (uuid: string) => {
    const stored = agent.peripherals.get(uuid);
    if (!stored) return undefined;
    const { parent: _parent, version: _version, ...rest } = stored;
    return rest;
  };
  const requests = (method: string, uuid: string) =>
    agent.requests.filter(
      (request) =>
        request.method === method &&
        (request.path === `/api/peripheral/${uuid}` ||
          (method === 'POST' && (request.body as { identifier?: string } | undefined)?.identifier === uuid)),
    );

  before(async () => {
    addTestAddress(); // before the engine starts: it reads the addresses of `lo` once
    agent = await startFakeAgent();
    writeConfig(
      space,
      agent.url,
      `sources: { network: { interfaces: [${TEST_INTERFACE}], wsd: { probeIntervalMs: 1000 } } }\n`,
    );
    writeFileSync(path.join(space.profiles, 'wsd-host.yaml'), PROFILE);
    engine = await startEngine(space);
  });
  after(async () => {
    await Promise.all(wsdds.map((wsdd) => wsdd.kill()));
    await engine?.stop();
    await agent?.close();
    rmSync(space.root, { recursive: true, force: true });
  });

  test('registered once with the mapped document; its Bye deregisters it', async () => {
    const wsdd = startWsdd(byBye);
    wsdds.push(wsdd);
    await waitFor('the registration', () => document(byBye) !== undefined, 20_000);
    await waitFor('the whole document', () => JSON.stringify(document(byBye)) === JSON.stringify(expected(byBye)));
    assert.deepEqual(document(byBye), expected(byBye));
    await wsdd.stop();
    await waitFor('the deregistration', () => document(byBye) === undefined, 20_000);
    // Several rounds of Probes answered while it ran: still one registration.
    assert.equal(requests('POST', byBye).length, 1);
    assert.equal(requests('DELETE', byBye).length, 1);
  });

  test('killed without a Bye, it is deregistered when three probe intervals pass unanswered', async () => {
    const wsdd = startWsdd(byKill);
    wsdds.push(wsdd);
    await waitFor(
      'the registration',
      () => JSON.stringify(document(byKill)) === JSON.stringify(expected(byKill)),
      20_000,
    );
    await wsdd.kill();
    await waitFor('the deregistration', () => document(byKill) === undefined, 30_000);
    assert.equal(requests('POST', byKill).length, 1);
    assert.equal(requests('DELETE', byKill).length, 1);
    assert.ok(
      engine.logs.every((line) => line.level !== 'error'),
      JSON.stringify(engine.logs.filter((line) => line.level === 'error')),
    );
  });
});
