import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ApplyResult, Backend, Change, Payload } from '../../engine/backends/backend.js';
import { nuvlaboxAgentBackend } from '../../engine/backends/nuvlabox-agent.js';
import { nuvlaboxPeripheralSchema } from '../../engine/backends/shared/nuvlabox-peripheral.js';
import { defaultConfig } from '../../engine/config/load-config.js';
import { createLogger } from '../../engine/core/log.js';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { configIssues, notifyIssues } from './notify-options.js';

test('nuvlabox notify entries take no options', () => {
  assert.deepEqual(notifyIssues('{ backend: nuvlabox }'), []);
  assert.deepEqual(notifyIssues('{ backend: nuvlabox, appId: 1 }'), [{ code: 'unknown-key', line: 5, col: 26 }]);
});

test('nuvlabox-agent config: url must be http(s)', () => {
  assert.deepEqual(configIssues('    type: nuvlabox-agent\n    url: http://127.0.0.1:5080/api\n'), []);
  assert.deepEqual(configIssues('    type: nuvlabox-agent\n    url: agent/api\n'), [
    { code: 'invalid-value', line: 4, col: 10 },
  ]);
});

test('the built-in nuvlabox backend reads NUVLABOX_AGENT_URL', () => {
  const find = (env: NodeJS.ProcessEnv) => defaultConfig(env).backends.find((backend) => backend.name === 'nuvlabox');
  assert.deepEqual(find({})?.options, { url: 'http://agent/api' });
  assert.deepEqual(find({ NUVLABOX_AGENT_URL: 'http://127.0.0.1:5080/api' })?.options, {
    url: 'http://127.0.0.1:5080/api',
  });
});

describe('nuvlabox-agent delivery against the fake agent', () => {
  const webcam = { identifier: 'usb:046d:0825', available: true, classes: ['video'], name: 'Webcam', interface: 'USB' };
  const parent = 'nuvlabox/11111111-2222-3333-4444-555555555555';
  let agent: FakeAgent;
  let logLines: string[];

  beforeEach(async () => {
    agent = await startFakeAgent({ nuvlaboxId: '11111111-2222-3333-4444-555555555555' });
    logLines = [];
  });
  afterEach(() => agent.close());

  function backendFor(target: FakeAgent, requestTimeoutMs = 2000): Backend {
    // Each backend writes to its own array, so a late line from an earlier test cannot leak in.
    const lines: string[] = [];
    logLines = lines;
    const log = createLogger('debug', (line) => lines.push(line));
    return nuvlaboxAgentBackend.create!(
      { url: target.url, requestTimeoutMs },
      { name: 'nuvlabox', log, stateDir: '/nonexistent' },
    );
  }

  const change = (op: Change['op'], payload: Payload = webcam, identifier = String(payload['identifier'])): Change => ({
    op,
    identifier,
    payload,
    notify: { backend: 'nuvlabox' },
  });
  const live = () => new AbortController().signal;
  /** The result without `remote` (the fields sent, which tests of their own check). */
  const withoutRemote = (result: ApplyResult): ApplyResult =>
    result.outcome === 'acknowledged' ? { outcome: 'acknowledged' } : result;
  /** The fake's request log as `METHOD path status` lines. */
  const requestLog = () => agent.requests.map((request) => `${request.method} ${request.path} ${request.status}`);

  test('create: healthcheck, then POST 201; the agent stores the payload plus parent and version', async () => {
    const backend = backendFor(agent);
    assert.deepEqual(withoutRemote(await backend.apply(change('create'), live())), { outcome: 'acknowledged' });
    assert.deepEqual(requestLog(), ['GET /api/healthcheck 200', 'POST /api/peripheral 201']);
    assert.deepEqual(agent.requests[1]?.body, webcam);
    assert.deepEqual(agent.peripherals.get(webcam.identifier), { ...webcam, parent, version: 2 });
    await backend.close();
  });

  test('the healthcheck runs once while requests succeed', async () => {
    const backend = backendFor(agent);
    await backend.apply(change('create'), live());
    await backend.apply(change('update', { ...webcam, available: false }), live());
    assert.deepEqual(requestLog(), [
      'GET /api/healthcheck 200',
      'POST /api/peripheral 201',
      'PUT /api/peripheral/usb%3A046d%3A0825 200',
    ]);
  });

  test('create of an identifier the agent already holds: the 400 becomes a PUT, one entry remains', async () => {
    await agent.close();
    agent = await startFakeAgent({
      nuvlaboxId: '11111111-2222-3333-4444-555555555555',
      initial: { [webcam.identifier]: { ...webcam, name: 'Old name' } },
    });
    const backend = backendFor(agent);
    assert.deepEqual(withoutRemote(await backend.apply(change('create'), live())), { outcome: 'acknowledged' });
    assert.deepEqual(requestLog(), [
      'GET /api/healthcheck 200',
      'POST /api/peripheral 400',
      'PUT /api/peripheral/usb%3A046d%3A0825 200',
    ]);
    assert.equal(agent.peripherals.size, 1);
    assert.deepEqual(agent.peripherals.get(webcam.identifier), { ...webcam, parent, version: 2 });
  });

  test('update: PUT merged into the stored document', async () => {
    const backend = backendFor(agent);
    await backend.apply(change('create', { ...webcam, 'video-device': '/dev/video0' }), live());
    const updated = { identifier: webcam.identifier, available: false, classes: ['video', 'audio'] };
    assert.deepEqual(withoutRemote(await backend.apply(change('update', updated), live())), {
      outcome: 'acknowledged',
    });
    assert.equal(requestLog().at(-1), 'PUT /api/peripheral/usb%3A046d%3A0825 200');
    assert.deepEqual(agent.requests.at(-1)?.body, updated);
    assert.deepEqual(agent.peripherals.get(webcam.identifier), {
      ...webcam,
      'video-device': '/dev/video0',
      available: false,
      classes: ['video', 'audio'],
      parent,
      version: 2,
    });
  });

  test('update of an entry the agent lost: the 404 becomes a POST', async () => {
    const backend = backendFor(agent);
    await backend.apply(change('create'), live());
    agent.peripherals.clear();
    assert.deepEqual(withoutRemote(await backend.apply(change('update', { ...webcam, available: false }), live())), {
      outcome: 'acknowledged',
    });
    assert.deepEqual(requestLog().slice(2), ['PUT /api/peripheral/usb%3A046d%3A0825 404', 'POST /api/peripheral 201']);
    assert.deepEqual(agent.peripherals.get(webcam.identifier), { ...webcam, available: false, parent, version: 2 });
  });

  test('deleted in Nuvla behind the agent: PUT 404, POST 400, then DELETE and POST, four requests in all', async () => {
    const backend = backendFor(agent);
    const created = await backend.apply(change('create'), live());
    agent.deleteInNuvla(webcam.identifier);
    const renamed = { ...webcam, name: 'Renamed' };
    const result = await backend.apply(
      { ...change('update', renamed), ...(created.outcome === 'acknowledged' && { remote: created.remote }) },
      live(),
    );
    assert.deepEqual(result, { outcome: 'acknowledged', remote: { fields: Object.keys(renamed).sort() } });
    const path = '/api/peripheral/usb%3A046d%3A0825';
    assert.deepEqual(requestLog().slice(2), [
      `PUT ${path} 404`,
      'POST /api/peripheral 400',
      `DELETE ${path} 200`,
      'POST /api/peripheral 201',
    ]);
    assert.equal(agent.nuvla.get(webcam.identifier)?.document['name'], 'Renamed');
  });

  /** A fresh fake agent in place of the one beforeEach started. */
  async function restartAgent(options: Parameters<typeof startFakeAgent>[0]): Promise<void> {
    await agent.close();
    agent = await startFakeAgent({ nuvlaboxId: '11111111-2222-3333-4444-555555555555', ...options });
  }

  test('agent 2.0.0, deleted in Nuvla behind it: its HTML 500 to the PUT means DELETE then POST, three requests', async () => {
    await restartAgent({ version: '2.0.0' });
    const backend = backendFor(agent);
    await backend.apply(change('create'), live());
    agent.deleteInNuvla(webcam.identifier);
    const renamed = { ...webcam, name: 'Renamed' };
    assert.deepEqual(await backend.apply(change('update', renamed), live()), {
      outcome: 'acknowledged',
      remote: { fields: Object.keys(renamed).sort() },
    });
    const path = '/api/peripheral/usb%3A046d%3A0825';
    assert.deepEqual(requestLog().slice(2), [`PUT ${path} 500`, `DELETE ${path} 200`, 'POST /api/peripheral 201']);
    assert.deepEqual(agent.nuvla.get(webcam.identifier)?.document, { ...renamed, parent, version: 2 });
    assert.deepEqual([agent.nuvla.size, agent.peripherals.size], [1, 1]);
  });

  test('agent 2.0.0 with Nuvla unreachable: its JSON 500 to a PUT is a retry, and nothing is deleted', async () => {
    await restartAgent({ version: '2.0.0' });
    const backend = backendFor(agent);
    await backend.apply(change('create'), live());
    agent.nuvlaReachable = false;
    const result = await backend.apply(change('update', { ...webcam, available: false }), live());
    assert.equal(result.outcome, 'retry');
    assert.match(result.outcome === 'retry' ? result.reason : '', /^HTTP 500: Error occurred while deleting/);
    assert.deepEqual(requestLog().slice(2), ['PUT /api/peripheral/usb%3A046d%3A0825 500']);
    assert.ok(agent.nuvla.has(webcam.identifier) && agent.peripherals.has(webcam.identifier));
  });

  test('an adopted Nuvla peripheral with fields the document lacks is registered anew: POST, DELETE, POST', async () => {
    const old = { ...webcam, name: 'Old', 'serial-number': 'OLD-SERIAL', vendor: 'Logitech' };
    await restartAgent({ inNuvla: { [webcam.identifier]: old } });
    const oldId = agent.nuvla.get(webcam.identifier)!.id;
    const backend = backendFor(agent);
    assert.deepEqual(await backend.apply(change('create'), live()), {
      outcome: 'acknowledged',
      remote: { fields: Object.keys(webcam).sort() },
    });
    const path = '/api/peripheral/usb%3A046d%3A0825';
    assert.deepEqual(requestLog().slice(1), [
      'POST /api/peripheral 201',
      `DELETE ${path} 200`,
      'POST /api/peripheral 201',
    ]);
    assert.deepEqual(agent.nuvla.get(webcam.identifier)?.document, { ...webcam, parent, version: 2 });
    assert.notEqual(agent.nuvla.get(webcam.identifier)?.id, oldId);
    assert.deepEqual([agent.nuvla.size, agent.peripherals.size], [1, 1]);
  });

  test('an adopted Nuvla peripheral with no other field is kept: one POST, the same resource id', async () => {
    await restartAgent({ inNuvla: { [webcam.identifier]: { ...webcam, name: 'Old' } } });
    const oldId = agent.nuvla.get(webcam.identifier)!.id;
    const backend = backendFor(agent);
    assert.deepEqual(withoutRemote(await backend.apply(change('create'), live())), { outcome: 'acknowledged' });
    assert.deepEqual(requestLog().slice(1), ['POST /api/peripheral 201']);
    assert.deepEqual(agent.nuvla.get(webcam.identifier), { id: oldId, document: { ...webcam, parent, version: 2 } });
  });

  test('a delete that finds Nuvla already without it: the agent\'s plain "Deleted <identifier>" is an acknowledgement', async () => {
    const backend = backendFor(agent);
    await backend.apply(change('create'), live());
    agent.deleteInNuvla(webcam.identifier);
    assert.deepEqual(await backend.apply(change('delete'), live()), { outcome: 'acknowledged' });
    const last = agent.requests.at(-1)!;
    assert.deepEqual([last.method, last.status], ['DELETE', 200]);
    assert.equal(agent.requests.filter((request) => request.method === 'DELETE').length, 1);
    assert.equal(agent.peripherals.size, 0);
  });

  test('a change that drops fields registers anew (DELETE, POST); one that keeps them all is a PUT', async () => {
    const backend = backendFor(agent);
    const created = await backend.apply(change('create', { ...webcam, 'video-device': '/dev/video0' }), live());
    assert.deepEqual(created, {
      outcome: 'acknowledged',
      remote: { fields: ['available', 'classes', 'identifier', 'interface', 'name', 'video-device'] },
    });
    const remote = created.outcome === 'acknowledged' ? created.remote : undefined;
    const dropped = await backend.apply({ ...change('update', webcam), ...(remote && { remote }) }, live());
    assert.deepEqual(requestLog().slice(2), [
      'DELETE /api/peripheral/usb%3A046d%3A0825 200',
      'POST /api/peripheral 201',
    ]);
    assert.deepEqual(agent.nuvla.get(webcam.identifier)?.document, { ...webcam, parent, version: 2 });
    const kept = dropped.outcome === 'acknowledged' ? dropped.remote : undefined;
    await backend.apply(
      { ...change('update', { ...webcam, available: false }), ...(kept && { remote: kept }) },
      live(),
    );
    assert.equal(requestLog().at(-1), 'PUT /api/peripheral/usb%3A046d%3A0825 200');
  });

  test('delete removes the entry; deleting an unknown identifier is acknowledged too', async () => {
    const backend = backendFor(agent);
    await backend.apply(change('create'), live());
    assert.deepEqual(await backend.apply(change('delete'), live()), { outcome: 'acknowledged' });
    assert.equal(agent.peripherals.has(webcam.identifier), false);
    const ghost = { ...webcam, identifier: 'serial-gps-1' };
    assert.deepEqual(await backend.apply(change('delete', ghost), live()), { outcome: 'acknowledged' });
    assert.deepEqual(requestLog().slice(2), [
      'DELETE /api/peripheral/usb%3A046d%3A0825 200',
      'DELETE /api/peripheral/serial-gps-1 404',
    ]);
  });

  test('agent down: retry without sending the change; after recovery the healthcheck is checked again', async () => {
    const backend = backendFor(agent);
    agent.down = true;
    const closed = { outcome: 'retry', reason: 'connection closed by the server' };
    assert.deepEqual(await backend.apply(change('create'), live()), closed);
    assert.deepEqual(requestLog(), ['GET /api/healthcheck 0']);
    agent.down = false;
    assert.deepEqual(withoutRemote(await backend.apply(change('create'), live())), { outcome: 'acknowledged' });
    assert.deepEqual(requestLog(), ['GET /api/healthcheck 0', 'GET /api/healthcheck 200', 'POST /api/peripheral 201']);
    // Going down mid-way: the failed PUT makes the next change wait for a healthcheck.
    agent.down = true;
    assert.deepEqual(await backend.apply(change('update', { ...webcam, available: false }), live()), closed);
    agent.down = false;
    assert.deepEqual(withoutRemote(await backend.apply(change('update', { ...webcam, available: false }), live())), {
      outcome: 'acknowledged',
    });
    assert.deepEqual(requestLog().slice(3), [
      'PUT /api/peripheral/usb%3A046d%3A0825 0',
      'GET /api/healthcheck 200',
      'PUT /api/peripheral/usb%3A046d%3A0825 200',
    ]);
  });

  test('nothing listening: retry with "connection refused"', async () => {
    const port = agent.port;
    await agent.close();
    const backend = nuvlaboxAgentBackend.create!(
      { url: `http://127.0.0.1:${port}/api` },
      { name: 'nuvlabox', log: createLogger('error'), stateDir: '/x' },
    );
    assert.deepEqual(await backend.apply(change('create'), live()), { outcome: 'retry', reason: 'connection refused' });
    agent = await startFakeAgent({ port });
    assert.deepEqual(withoutRemote(await backend.apply(change('create'), live())), { outcome: 'acknowledged' });
    assert.deepEqual(requestLog(), ['GET /api/healthcheck 200', 'POST /api/peripheral 201']);
  });

  test('unhealthy agent: retry, the change is not sent', async () => {
    const backend = backendFor(agent);
    agent.healthy = false;
    agent.retryAfter = 30;
    assert.deepEqual(await backend.apply(change('create'), live()), {
      outcome: 'retry',
      reason: 'agent not healthy (HTTP 503)',
      afterMs: 30000,
    });
    assert.deepEqual(requestLog(), ['GET /api/healthcheck 503']);
    assert.equal(agent.peripherals.size, 0);
  });

  test('a 500 is a retry; a 503 with Retry-After: 7 is a retry after 7000 ms', async () => {
    const backend = backendFor(agent);
    agent.failNext(1, 500);
    assert.deepEqual(await backend.apply(change('create'), live()), {
      outcome: 'retry',
      reason: 'HTTP 500: injected 500 failure',
    });
    agent.failNext(1, 503, 'Nuvla is unavailable');
    agent.retryAfter = 7;
    assert.deepEqual(await backend.apply(change('create'), live()), {
      outcome: 'retry',
      reason: 'HTTP 503: Nuvla is unavailable',
      afterMs: 7000,
    });
    assert.equal(agent.peripherals.size, 0);
    // A status answer is not a network failure: no new healthcheck.
    assert.deepEqual(requestLog(), [
      'GET /api/healthcheck 200',
      'POST /api/peripheral 500',
      'POST /api/peripheral 503',
    ]);
  });

  test('a schema violation (unknown key) is permanent, with the agent error text', async () => {
    const backend = backendFor(agent);
    const result = await backend.apply(change('create', { ...webcam, colour: 'red' }), live());
    assert.equal(result.outcome, 'permanent');
    assert.match(
      result.outcome === 'permanent' ? result.reason : '',
      /^HTTP 400: resource does not satisfy defined schema/,
    );
    assert.equal(agent.peripherals.size, 0);
    assert.deepEqual(requestLog(), ['GET /api/healthcheck 200', 'POST /api/peripheral 400']);
  });

  test('a 403 forwarded from Nuvla is permanent', async () => {
    const backend = backendFor(agent);
    agent.failNext(1, 403, 'forbidden');
    assert.deepEqual(await backend.apply(change('delete'), live()), {
      outcome: 'permanent',
      reason: 'HTTP 403: forbidden',
    });
  });

  test('unsafe identifiers are never sent', async () => {
    const backend = backendFor(agent);
    for (const identifier of ['a/../b', '..', 'a b', 'a%2Fb', '']) {
      for (const op of ['create', 'update', 'delete'] as const) {
        const result = await backend.apply(change(op, { ...webcam, identifier }), live());
        assert.equal(result.outcome, 'permanent', `${op} ${JSON.stringify(identifier)}`);
        assert.match(result.outcome === 'permanent' ? result.reason : '', /unsafe/);
      }
    }
    assert.deepEqual(agent.requests, []);
  });

  test('a payload whose identifier differs from the change is never sent', async () => {
    const backend = backendFor(agent);
    const result = await backend.apply(change('create', webcam, 'other-id'), live());
    assert.equal(result.outcome, 'permanent');
    assert.deepEqual(agent.requests, []);
  });

  test('a request slower than requestTimeoutMs is a retry, and the healthcheck is checked again', async () => {
    const backend = backendFor(agent, 150);
    await backend.apply(change('create'), live());
    agent.delayMs = 600;
    const started = Date.now();
    assert.deepEqual(await backend.apply(change('update', { ...webcam, available: false }), live()), {
      outcome: 'retry',
      reason: 'timed out',
    });
    assert.ok(Date.now() - started < 550, 'gave up before the agent answered');
    agent.delayMs = 0;
    assert.deepEqual(withoutRemote(await backend.apply(change('update', { ...webcam, available: false }), live())), {
      outcome: 'acknowledged',
    });
    assert.deepEqual(
      agent.requests.slice(2).map((request) => `${request.method} ${request.path}`),
      ['PUT /api/peripheral/usb%3A046d%3A0825', 'GET /api/healthcheck', 'PUT /api/peripheral/usb%3A046d%3A0825'],
    );
  });

  test('the engine aborting its signal rejects apply', async () => {
    const backend = backendFor(agent);
    agent.delayMs = 300;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(backend.apply(change('create'), controller.signal), { name: 'AbortError' });
  });

  test('close() resolves once the change in flight is done', async () => {
    const backend = backendFor(agent);
    agent.delayMs = 100;
    const applying = backend.apply(change('create'), live());
    await backend.close();
    assert.deepEqual(requestLog(), ['GET /api/healthcheck 200', 'POST /api/peripheral 201']);
    assert.ok(agent.peripherals.has(webcam.identifier));
    assert.deepEqual(withoutRemote(await applying), { outcome: 'acknowledged' });
  });

  test('each request is logged at debug with method, path, status and ms, without payload or headers', async () => {
    const backend = backendFor(agent);
    await backend.apply(change('create'), live());
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      lines.map(({ level, backend: name, method, path, status }) => ({ level, name, method, path, status })),
      [
        { level: 'debug', name: 'nuvlabox', method: 'GET', path: '/healthcheck', status: 200 },
        { level: 'debug', name: 'nuvlabox', method: 'POST', path: '/peripheral', status: 201 },
      ],
    );
    for (const line of lines) {
      assert.equal(typeof line['ms'], 'number');
      assert.deepEqual(Object.keys(line).sort(), ['backend', 'level', 'method', 'ms', 'msg', 'path', 'status', 'time']);
    }
    assert.ok(!logLines.join('').includes('Webcam'));
  });
});

test('nuvlabox-agent declares the peripheral document schema, and create makes a backend that delivers', async () => {
  assert.equal(nuvlaboxAgentBackend.documentSchema, nuvlaboxPeripheralSchema);
  const agent = await startFakeAgent();
  // No requestTimeoutMs: create fills the schema's default in, and a trailing slash is dropped.
  const backend = nuvlaboxAgentBackend.create(
    { url: `${agent.url}/` },
    { name: 'nuvlabox', log: createLogger('error'), stateDir: '/nonexistent' },
  );
  try {
    const document = { identifier: 'gps-1', available: true, classes: ['gps'] };
    const result = await backend.apply(
      { op: 'create', identifier: 'gps-1', payload: document, notify: { backend: 'nuvlabox' } },
      new AbortController().signal,
    );
    assert.equal(result.outcome, 'acknowledged');
    assert.deepEqual(
      agent.requests.map((request) => `${request.method} ${request.path}`),
      ['GET /api/healthcheck', 'POST /api/peripheral'],
    );
  } finally {
    await backend.close();
    await agent.close();
  }
});
