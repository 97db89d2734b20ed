// The shared HTTP client against a real misbehaving server on loopback: every way an answer can
// go wrong ends as a retry with a reason, within the timeout, and the client's close waits for
// (or, through the engine's signal, aborts) what is under way.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Backend, Change } from '../../engine/backends/backend.js';
import { HttpClient } from '../../engine/backends/shared/http-client.js';
import { isAnswer } from '../../engine/backends/shared/http-status.js';
import { nuvlaboxAgentBackend } from '../../engine/backends/nuvlabox-agent.js';
import { createLogger } from '../../engine/core/log.js';
import { startMisbehavingBackend, type MisbehavingBackend } from '../fakes/misbehaving-backend.js';
import { ROOT } from '../paths.js';

const live = () => new AbortController().signal;
const webcam = { identifier: 'usb:046d:0825', available: true, classes: ['video'] };
const create = (firstAttempt?: boolean): Change => ({
  op: 'create',
  identifier: webcam.identifier,
  payload: webcam,
  notify: { backend: 'nuvlabox' },
  ...(firstAttempt && { firstAttempt }),
});

describe('HttpClient', () => {
  let server: MisbehavingBackend;
  let client: HttpClient;
  before(async () => {
    server = await startMisbehavingBackend();
    client = new HttpClient({ log: createLogger('error'), what: 'test' });
  });
  after(async () => {
    await client.close();
    await server.close();
  });
  const post = (timeoutMs = 500, signal = live()) =>
    client.exchange({ url: `${server.url}/peripheral`, method: 'POST', json: webcam, timeoutMs, signal, fields: {} });

  test("an answer's headers are read by name in any case, a repeated one's values joined, as fetch's Headers reads them", async () => {
    const answering = http.createServer((_request, response) => {
      response.setHeader('Retry-After', '7');
      response.setHeader('X-Twice', ['a', 'b']);
      response.end('{}');
    });
    await new Promise<void>((resolve) => answering.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = answering.address() as AddressInfo;
      const answer = await client.exchange({
        url: `http://127.0.0.1:${port}/`,
        method: 'GET',
        timeoutMs: 5000,
        signal: live(),
        fields: {},
      });
      assert.ok(isAnswer(answer));
      const expected = new Headers([
        ['retry-after', '7'],
        ['x-twice', 'a'],
      ]);
      expected.append('x-twice', 'b');
      for (const name of ['Retry-After', 'retry-after', 'X-TWICE', 'content-type', 'x-absent'])
        assert.equal(answer.headers.get(name), expected.get(name), name);
    } finally {
      answering.close();
    }
  });

  test("answers are read without loading Node's fetch (undici), which costs tens of milliseconds in a burst", () => {
    const script = `
      import { HttpClient } from ${JSON.stringify(path.join(ROOT, 'dist/engine/backends/shared/http-client.js'))};
      import { createLogger } from ${JSON.stringify(path.join(ROOT, 'dist/engine/core/log.js'))};
      import http from 'node:http';
      const server = http.createServer((_request, response) => response.end('{}'));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const client = new HttpClient({ log: createLogger('error'), what: 'test' });
      const answer = await client.exchange({ url: 'http://127.0.0.1:' + server.address().port + '/', method: 'GET', timeoutMs: 5000, signal: new AbortController().signal, fields: {} });
      answer.headers.get('retry-after');
      await client.close();
      server.close();
      console.log(JSON.stringify({ status: answer.status, undici: process.moduleLoadList.some((name) => name.includes('undici')) }));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { status: 200, undici: false });
  });

  test('a server that never answers, or answers one byte a second: a retry once the timeout fires', async () => {
    for (const mode of ['hang', 'one-byte-a-second'] as const) {
      server.mode = mode;
      assert.deepEqual(await post(), { outcome: 'retry', reason: 'timed out' }, mode);
    }
  });

  test('a 100 MB answer is given up after 1 MiB: a retry that says so', async () => {
    server.mode = 'huge-body';
    assert.deepEqual(await post(5000), {
      outcome: 'retry',
      reason: 'the answer is larger than 1 MiB (HTTP 200); not read further',
    });
  });

  test('a connection closed in the middle of the answer is a retry', async () => {
    server.mode = 'close-mid-answer';
    server.peripherals.clear();
    assert.deepEqual(await post(), { outcome: 'retry', reason: 'connection closed by the server' });
  });

  test('the engine aborting rejects; close waits for what is under way', async () => {
    server.mode = 'hang';
    const aborter = new AbortController();
    const pending = post(60_000, aborter.signal);
    await new Promise((resolve) => setImmediate(resolve));
    aborter.abort();
    await assert.rejects(pending);
    server.mode = 'one-byte-a-second';
    const closing = new HttpClient({ log: createLogger('error'), what: 'test' });
    const underWay = closing.exchange({
      url: `${server.url}/peripheral`,
      method: 'POST',
      json: webcam,
      timeoutMs: 1500,
      signal: live(),
      fields: {},
    });
    await closing.close();
    const state = await Promise.race([
      underWay.then(() => 'ended'),
      new Promise((resolve) => setImmediate(() => resolve('still under way'))),
    ]);
    assert.equal(state, 'ended', 'close resolved only after the request under way ended');
  });
});

describe('nuvlabox-agent: a 2xx counts only when it keeps the contract', () => {
  let server: MisbehavingBackend;
  let backend: Backend;
  before(async () => {
    server = await startMisbehavingBackend();
    backend = nuvlaboxAgentBackend.create!(
      { url: server.url, requestTimeoutMs: 1000 },
      { name: 'nuvlabox', log: createLogger('error'), stateDir: '/nonexistent' },
    );
  });
  after(async () => {
    await backend.close();
    await server.close();
  });

  test('an HTML page is a retry saying what came back', async () => {
    server.mode = 'html';
    assert.deepEqual(await backend.apply(create(), live()), {
      outcome: 'retry',
      reason: 'HTTP 200 text/html: this is not the NuvlaBox agent (it answers a registration with 201)',
    });
  });

  test('truncated JSON is a retry', async () => {
    server.mode = 'truncated-json';
    const result = await backend.apply(create(), live());
    assert.equal(result.outcome, 'retry');
    assert.match(
      (result as { reason: string }).reason,
      /^HTTP 201 application\/json: this is not the NuvlaBox agent .*not complete JSON/,
    );
  });

  test('an identifier held for someone else: conflict on a first attempt, untouched; a PUT when the engine may have sent it', async () => {
    server.mode = 'healthy';
    server.peripherals.set(webcam.identifier, { identifier: webcam.identifier, name: 'theirs' });
    const result = await backend.apply(create(true), live());
    assert.equal(result.outcome, 'conflict');
    assert.deepEqual(server.peripherals.get(webcam.identifier), { identifier: webcam.identifier, name: 'theirs' });
    assert.deepEqual(
      server.requests.filter((request) => request.method === 'PUT'),
      [],
    );
    assert.equal((await backend.apply(create(), live())).outcome, 'acknowledged');
    assert.equal(server.requests.at(-1)?.method, 'PUT');
  });
});
