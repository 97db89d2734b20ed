// A Modbus TCP device through the daemon, in the test network namespace: a real pymodbus server
// on 127.0.0.1:502 is found by the shipped modbus-tcp-device profile (the TCP probe's device
// identification) and registered with the fake NuvlaBox agent with exactly the expected
// document, once; stopped, it is deleted once and not registered again.
import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { startEngine, waitFor, workspace, writeConfig } from '../daemon/engine-process.js';
import { ROOT } from '../paths.js';
import { modbusServerMissing, startModbusServer } from './modbus-server.js';
import { outsideTestNetns, TEST_INTERFACE } from './netns.js';

/** Waits this long at most for what the server's start or stop leads to: generous for a loaded machine. */
const DELIVERY_MS = 30_000;
const IDENTIFIER = 'modbus:127.0.0.1:502';

const requestsOf = (agent: FakeAgent, method: string) =>
  agent.requests.filter(
    (request) =>
      request.method === method &&
      (method === 'POST'
        ? (request.body as { identifier?: string })?.identifier === IDENTIFIER
        : decodeURIComponent(request.path).endsWith(`/${IDENTIFIER}`)),
  );

describe(
  'a Modbus TCP device through the daemon (pymodbus)',
  { skip: outsideTestNetns || modbusServerMissing() || false },
  () => {
    test('the shipped profile registers it with its vendor and product once, and deletes it once when it stops answering', async () => {
      const space = workspace();
      const agent = await startFakeAgent();
      // Short rounds, so that the stopped server goes stale within seconds (2.5 rounds and the timeouts).
      writeConfig(
        space,
        agent.url,
        `sources:\n  network:\n    interfaces: [${TEST_INTERFACE}]\n    tcp: { hosts: [127.0.0.1], intervalMs: 500, connectTimeoutMs: 1000 }\n`,
      );
      copyFileSync(
        path.join(ROOT, 'profiles', 'modbus-tcp-device.yaml'),
        path.join(space.profiles, 'modbus-tcp-device.yaml'),
      );
      const server = await startModbusServer({ vendor: 'Acme Controls', product: 'AC-42', revision: '1.2.3' }, 502);
      const engine = await startEngine(space);
      try {
        await waitFor('the Modbus device to be registered', () => agent.peripherals.has(IDENTIFIER), DELIVERY_MS);
        const { parent: _parent, version: _version, ...document } = agent.peripherals.get(IDENTIFIER)!;
        assert.deepEqual(document, {
          identifier: IDENTIFIER,
          name: 'Acme Controls AC-42',
          description: 'Modbus TCP device, revision 1.2.3',
          available: true,
          classes: ['modbus'],
          interface: 'TCP',
          vendor: 'Acme Controls',
          product: 'AC-42',
          'device-path': '127.0.0.1',
          port: 502,
        });
        await server.stop();
        await waitFor('the stopped device to be deleted', () => !agent.peripherals.has(IDENTIFIER), DELIVERY_MS);
        assert.equal(requestsOf(agent, 'POST').length, 1, 'POSTs');
        assert.equal(requestsOf(agent, 'DELETE').length, 1, 'DELETEs');
        assert.equal((await engine.get('/healthz')).status, 200);
      } finally {
        await server.stop();
        await engine.stop();
        await agent.close();
        rmSync(space.root, { recursive: true, force: true });
      }
    });
  },
);
