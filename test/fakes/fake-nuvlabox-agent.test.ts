// The fake agent is only worth something if it keeps the contract of docs/backends/nuvlabox-agent.md,
// so these tests speak to it over real HTTP the way a backend would.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { startFakeAgent, type FakeAgent } from './fake-nuvlabox-agent.js';

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** The parsed JSON of an answer, or its text (the agent answers some requests with a plain string). */
function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sends `body` as JSON, or as-is when it is already a string (to send malformed JSON). */
async function call(agent: FakeAgent, method: string, path: string, body?: unknown): Promise<Answer> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const response = await fetch(`${agent.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : jsonOrText(text), headers: response.headers };
}

const webcam = { identifier: 'usb:046d:0825', available: true, classes: ['video'], name: 'Webcam', interface: 'USB' };
const gps = {
  identifier: 'serial-gps-1',
  available: false,
  classes: ['gps'],
  interface: 'Serial',
  'device-path': '/dev/ttyUSB0',
};

describe('fake NuvlaBox Agent', () => {
  let agent: FakeAgent;
  beforeEach(async () => {
    agent = await startFakeAgent({ nuvlaboxId: '11111111-2222-3333-4444-555555555555' });
  });
  afterEach(() => agent.close());

  test('url points at /api on 127.0.0.1 and the healthcheck follows `healthy`', async () => {
    assert.equal(agent.url, `http://127.0.0.1:${agent.port}/api`);
    assert.deepEqual(await call(agent, 'GET', '/healthcheck').then((a) => [a.status, a.body]), [200, true]);
    agent.healthy = false;
    assert.equal((await call(agent, 'GET', '/healthcheck')).status, 503);
  });

  test('POST registers, adds parent and version, and answers 201 with the resource id', async () => {
    const answer = await call(agent, 'POST', '/peripheral', webcam);
    assert.equal(answer.status, 201);
    const body = answer.body as Record<string, unknown>;
    assert.match(String(body['resource-id']), /^nuvlabox-peripheral\/[0-9a-f-]{36}$/);
    assert.deepEqual(body, {
      status: 201,
      message: `${body['resource-id']} created`,
      'resource-id': body['resource-id'],
    });
    assert.deepEqual(agent.peripherals.get(webcam.identifier), {
      ...webcam,
      parent: 'nuvlabox/11111111-2222-3333-4444-555555555555',
      version: 2,
    });
  });

  test('POST of an identifier already registered is a 400, not idempotent', async () => {
    await call(agent, 'POST', '/peripheral', webcam);
    const answer = await call(agent, 'POST', '/peripheral', { ...webcam, name: 'Other' });
    assert.equal(answer.status, 400);
    assert.match((answer.body as { error: string }).error, /already registered\. Please delete it first/);
    assert.equal(agent.peripherals.get(webcam.identifier)?.['name'], 'Webcam');
  });

  test('POST without a usable identifier or object body is a 400 with an error', async () => {
    for (const body of [
      { available: true, classes: ['x'] },
      { ...webcam, identifier: '  ' },
      [webcam],
      'not json{',
      42,
    ]) {
      const answer = await call(agent, 'POST', '/peripheral', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(typeof (answer.body as { error: unknown }).error, 'string');
    }
    assert.equal(agent.peripherals.size, 0);
    assert.equal((await call(agent, 'GET', '/healthcheck')).status, 200, 'malformed JSON must not crash the server');
  });

  test('POST of a document Nuvla would reject is a 400 schema violation and stores nothing', async () => {
    const rejected = [
      { ...webcam, colour: 'black' },
      { ...webcam, parent: 'nuvlabox/x' },
      { ...webcam, version: 2 },
      { identifier: 'a', classes: ['video'] },
      { identifier: 'b', available: true, classes: ['video', ' '] },
      { ...webcam, port: 70000 },
    ];
    for (const body of rejected) {
      const answer = await call(agent, 'POST', '/peripheral', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(
        (answer.body as { message: string }).message,
        /does not satisfy defined schema/,
        'forwarded from Nuvla as {status, message}',
      );
      assert.equal((answer.body as { status: number }).status, 400);
    }
    assert.equal(agent.peripherals.size, 0);
  });

  test('GET /peripheral lists an object keyed by identifier, filtered by glob or exact parameter', async () => {
    await call(agent, 'POST', '/peripheral', webcam);
    await call(agent, 'POST', '/peripheral', gps);
    const all = await call(agent, 'GET', '/peripheral');
    assert.equal(all.status, 200);
    assert.deepEqual(Object.keys(all.body as object).sort(), [webcam.identifier, gps.identifier].sort());
    const byGlob = async (pattern: string) =>
      Object.keys(
        (await call(agent, 'GET', `/peripheral?identifier_pattern=${encodeURIComponent(pattern)}`)).body as object,
      );
    assert.deepEqual(await byGlob('usb:*'), [webcam.identifier]);
    assert.deepEqual(await byGlob('serial-gps-?'), [gps.identifier]);
    assert.deepEqual(await byGlob('serial-gps-'), []);
    const byParameter = async (query: string) =>
      Object.keys((await call(agent, 'GET', `/peripheral?${query}`)).body as object);
    assert.deepEqual(await byParameter('parameter=interface&value=Serial'), [gps.identifier]);
    assert.deepEqual(await byParameter('parameter=interface&value=serial'), [], 'the match is exact');
    assert.deepEqual(await byParameter('parameter=available&value=true'), [], 'only strings compare equal');
  });

  test('GET /peripheral/<identifier> decodes the identifier and answers 404 when unknown', async () => {
    await call(agent, 'POST', '/peripheral', webcam);
    const found = await call(agent, 'GET', `/peripheral/${encodeURIComponent(webcam.identifier)}`);
    assert.equal(found.status, 200);
    assert.equal((found.body as Record<string, unknown>)['identifier'], webcam.identifier);
    const missing = await call(agent, 'GET', '/peripheral/nothing-here');
    assert.deepEqual([missing.status, missing.body], [404, { error: 'Peripheral not found' }]);
  });

  test('PUT merges into the stored document; 404 when unknown; 400 for a non-object or schema violation', async () => {
    await call(agent, 'POST', '/peripheral', webcam);
    const path = `/peripheral/${encodeURIComponent(webcam.identifier)}`;
    const merged = await call(agent, 'PUT', path, { available: false, 'video-device': '/dev/video0' });
    assert.equal(merged.status, 200);
    assert.deepEqual(merged.body, { ...agent.peripherals.get(webcam.identifier) });
    assert.equal((merged.body as Record<string, unknown>)['name'], 'Webcam');
    assert.equal((merged.body as Record<string, unknown>)['available'], false);
    assert.equal((merged.body as Record<string, unknown>)['video-device'], '/dev/video0');
    assert.equal((merged.body as Record<string, unknown>)['version'], 2);
    assert.equal((await call(agent, 'PUT', '/peripheral/unknown', { available: true })).status, 404);
    assert.equal((await call(agent, 'PUT', path, [1, 2])).status, 400);
    assert.equal((await call(agent, 'PUT', path, { colour: 'black' })).status, 400);
    assert.equal(agent.peripherals.get(webcam.identifier)?.['colour'], undefined);
  });

  test('DELETE removes the peripheral, then GET and DELETE answer 404', async () => {
    await call(agent, 'POST', '/peripheral', webcam);
    const path = `/peripheral/${encodeURIComponent(webcam.identifier)}`;
    assert.equal((await call(agent, 'DELETE', path)).status, 200);
    assert.equal((await call(agent, 'GET', path)).status, 404);
    assert.equal((await call(agent, 'DELETE', path)).status, 404);
    assert.equal(agent.peripherals.size, 0);
  });

  test('a peripheral deleted in Nuvla: PUT is a forwarded 404 and POST a 400 until DELETE clears the local copy', async () => {
    const created = await call(agent, 'POST', '/peripheral', webcam);
    const path = `/peripheral/${encodeURIComponent(webcam.identifier)}`;
    assert.equal(agent.nuvla.get(webcam.identifier)?.id, (created.body as Record<string, unknown>)['resource-id']);
    agent.deleteInNuvla(webcam.identifier);
    const put = await call(agent, 'PUT', path, { name: 'Renamed' });
    assert.deepEqual([put.status, (put.body as { status: number }).status], [404, 404]);
    assert.equal((await call(agent, 'POST', '/peripheral', webcam)).status, 400);
    assert.ok(agent.peripherals.has(webcam.identifier), 'the local copy survives');
    const deleted = await call(agent, 'DELETE', path);
    assert.deepEqual([deleted.status, deleted.body], [200, `Deleted ${webcam.identifier}`], 'a plain string');
    assert.match(deleted.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(agent.peripherals.size, 0);
    assert.equal((await call(agent, 'POST', '/peripheral', webcam)).status, 201);
    assert.notEqual(
      agent.nuvla.get(webcam.identifier)?.id,
      (created.body as Record<string, unknown>)['resource-id'],
      'a new resource in Nuvla',
    );
  });

  test('agent 2.0.0, a peripheral deleted in Nuvla: PUT is an HTML 500, DELETE a JSON message and clears the local copy', async () => {
    await agent.close();
    agent = await startFakeAgent({ version: '2.0.0' });
    await call(agent, 'POST', '/peripheral', webcam);
    const path = `/peripheral/${encodeURIComponent(webcam.identifier)}`;
    agent.deleteInNuvla(webcam.identifier);
    const put = await call(agent, 'PUT', path, { name: 'Renamed' });
    assert.equal(put.status, 500);
    assert.match(String(put.body), /<title>500 Internal Server Error<\/title>/);
    assert.equal((await call(agent, 'POST', '/peripheral', webcam)).status, 400);
    const deleted = await call(agent, 'DELETE', path);
    assert.deepEqual([deleted.status, deleted.body], [200, { message: `Deleted ${webcam.identifier}` }]);
    assert.equal(agent.peripherals.size, 0);
    assert.equal((await call(agent, 'POST', '/peripheral', webcam)).status, 201);
  });

  test('PUT merges in Nuvla too: a field left out of the body stays', async () => {
    await call(agent, 'POST', '/peripheral', webcam);
    await call(agent, 'PUT', `/peripheral/${encodeURIComponent(webcam.identifier)}`, {
      identifier: webcam.identifier,
      available: true,
      classes: ['video'],
    });
    assert.equal(agent.nuvla.get(webcam.identifier)?.document['name'], 'Webcam');
  });

  test('POST without a local copy adopts the Nuvla peripheral: an edit that merges, answered with the document', async () => {
    await agent.close();
    const old = { ...webcam, name: 'Old', 'serial-number': 'OLD-SERIAL' };
    agent = await startFakeAgent({ inNuvla: { [webcam.identifier]: old } });
    const before = agent.nuvla.get(webcam.identifier)!.id;
    const answer = await call(agent, 'POST', '/peripheral', webcam);
    const body = answer.body as Record<string, unknown>;
    assert.deepEqual([answer.status, body['resource-id'], body['id']], [201, before, before]);
    assert.equal(body['message'], undefined, 'not the created message');
    assert.deepEqual([body['name'], body['serial-number']], ['Webcam', 'OLD-SERIAL']);
    assert.equal(agent.nuvla.size, 1);
    assert.equal(agent.nuvla.get(webcam.identifier)?.document['serial-number'], 'OLD-SERIAL');
    assert.ok(agent.peripherals.has(webcam.identifier), 'a local copy from now on');
  });

  test("Nuvla unreachable: a POST is a 500 with an HTML page, a PUT or DELETE the agent's JSON 500", async () => {
    await call(agent, 'POST', '/peripheral', gps);
    agent.nuvlaReachable = false;
    const response = await fetch(`${agent.url}/peripheral`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(webcam),
    });
    assert.equal(response.status, 500);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await response.text(), /<title>500 Internal Server Error<\/title>/);
    assert.equal(agent.peripherals.size, 1);
    const path = `/peripheral/${encodeURIComponent(gps.identifier)}`;
    for (const answer of [await call(agent, 'PUT', path, { available: true }), await call(agent, 'DELETE', path)]) {
      assert.equal(answer.status, 500);
      assert.match((answer.body as { error: string }).error, /^Error occurred while deleting serial-gps-1/);
    }
    assert.ok(agent.peripherals.has(gps.identifier) && agent.nuvla.has(gps.identifier));
  });

  test('anything else is a 404', async () => {
    assert.equal((await call(agent, 'GET', '/nothing')).status, 404);
    assert.equal((await call(agent, 'PATCH', '/peripheral', {})).status, 404);
    assert.equal((await call(agent, 'GET', '/peripheral/a%2Fb')).status, 404);
  });

  test('failNext answers the next n peripheral requests with the status, and 503s carry Retry-After', async () => {
    agent.retryAfter = 7;
    agent.failNext(2, 503);
    assert.equal((await call(agent, 'GET', '/healthcheck')).status, 200, 'the healthcheck is not a peripheral request');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const answer = await call(agent, 'POST', '/peripheral', webcam);
      assert.equal(answer.status, 503);
      assert.equal(answer.headers.get('retry-after'), '7');
      assert.equal(typeof (answer.body as { error: unknown }).error, 'string');
    }
    assert.equal(agent.peripherals.size, 0);
    assert.equal((await call(agent, 'POST', '/peripheral', webcam)).status, 201);
    agent.failNext(1, 500);
    const failed = await call(agent, 'GET', '/peripheral');
    assert.equal(failed.status, 500);
    assert.equal(failed.headers.get('retry-after'), null);
  });

  test('down drops connections without an answer until it is flipped back', async () => {
    agent.down = true;
    await assert.rejects(call(agent, 'GET', '/healthcheck'), TypeError);
    assert.deepEqual(
      agent.requests.map((r) => [r.method, r.path, r.status]),
      [['GET', '/api/healthcheck', 0]],
    );
    agent.down = false;
    assert.equal((await call(agent, 'GET', '/healthcheck')).status, 200);
  });

  test('delayMs slows every answer, so a client timeout fires', async () => {
    agent.delayMs = 200;
    const started = Date.now();
    assert.equal((await call(agent, 'GET', '/healthcheck')).status, 200);
    assert.ok(Date.now() - started >= 190, `answered after ${Date.now() - started} ms`);
    await assert.rejects(fetch(`${agent.url}/healthcheck`, { signal: AbortSignal.timeout(50) }), {
      name: 'TimeoutError',
    });
  });

  test('the request log records method, path, parsed body and status', async () => {
    await call(agent, 'POST', '/peripheral', webcam);
    await call(agent, 'GET', '/peripheral?identifier_pattern=usb*');
    assert.deepEqual(
      agent.requests.map(({ method, path, body, status }) => ({ method, path, body, status })),
      [
        { method: 'POST', path: '/api/peripheral', body: webcam, status: 201 },
        { method: 'GET', path: '/api/peripheral?identifier_pattern=usb*', body: undefined, status: 200 },
      ],
    );
    assert.ok(agent.requests.every((r) => typeof r.at === 'number' && r.at > 0));
  });

  test('a restart on the same port keeps nothing unless initial peripherals are given', async () => {
    await call(agent, 'POST', '/peripheral', webcam);
    const { port } = agent;
    const kept = Object.fromEntries(agent.peripherals);
    await agent.close();

    agent = await startFakeAgent({ port });
    assert.equal(agent.port, port);
    assert.deepEqual((await call(agent, 'GET', '/peripheral')).body, {});
    await agent.close();

    agent = await startFakeAgent({ port, initial: kept });
    const found = await call(agent, 'GET', `/peripheral/${encodeURIComponent(webcam.identifier)}`);
    assert.deepEqual([found.status, found.body], [200, kept[webcam.identifier]]);
    assert.notEqual(agent.peripherals.get(webcam.identifier), kept[webcam.identifier], 'initial documents are copied');
    assert.equal(
      (await call(agent, 'POST', '/peripheral', webcam)).status,
      400,
      'initial peripherals count as registered',
    );
  });
});
