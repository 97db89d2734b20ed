// The optional lock on the status server: with a token set, every endpoint but /healthz needs
// it (header, basic auth, the cookie of the login form, or the URL once); without one, binding
// beyond loopback is warned about.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../engine/core/log.js';
import { isLoopback } from '../../engine/core/loopback.js';
import {
  MetricsText,
  startStatusServer,
  type StatusProvider,
  type StatusServer,
} from '../../engine/server/status-server.js';
import { deviceOf, profilesOf, summaryOf } from './status-fixtures.js';

const TOKEN = 's3cret-status-token';

const provider: StatusProvider = {
  summary: () => summaryOf(),
  healthy: () => true,
  devices: () => [deviceOf('file:/dev/video0', { profile: 'webcam' })],
  profiles: () => profilesOf(),
  metrics: () => new MetricsText().add('engine_ready', 'gauge', 'Ready.', [[{}, 1]]).toString(),
};

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('status server with a token', () => {
  const logged: Record<string, unknown>[] = [];
  let server: StatusServer;
  let port: number;

  before(async () => {
    const log = createLogger('debug', (line) => logged.push(JSON.parse(line) as Record<string, unknown>));
    server = await startStatusServer(provider, '127.0.0.1', 0, log, { token: TOKEN });
    ({ port } = server);
  });
  after(() => server.close());

  test('without the token every endpoint but /healthz is 401; /healthz still answers', async () => {
    for (const path of ['/', '/devices', '/profiles', '/metrics', '/nope']) {
      const reply = await send(port, 'GET', path);
      assert.equal(reply.status, 401, path);
      assert.doesNotMatch(reply.body, /video0|webcam/);
      assert.match(String(reply.headers['www-authenticate']), /^Bearer /);
    }
    assert.equal((await send(port, 'GET', '/healthz')).status, 200);
  });

  test('a wrong token is 401 as well', async () => {
    assert.equal((await send(port, 'GET', '/devices', { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await send(port, 'GET', '/devices', { cookie: 'engine_status_token=nope' })).status, 401);
  });

  test('a bearer token, basic auth with the token as password, or the cookie open it', async () => {
    const basic = `Basic ${Buffer.from(`operator:${TOKEN}`).toString('base64')}`;
    for (const headers of [
      { authorization: `Bearer ${TOKEN}` },
      { authorization: basic },
      { cookie: `other=1; engine_status_token=${encodeURIComponent(TOKEN)}` },
    ] as Record<string, string>[]) {
      const reply = await send(port, 'GET', '/devices', headers);
      assert.equal(reply.status, 200, JSON.stringify(headers));
      assert.deepEqual(JSON.parse(reply.body), [deviceOf('file:/dev/video0', { profile: 'webcam' })]);
    }
  });

  test('the token in the URL, once: a redirect that sets the cookie and drops the token', async () => {
    const reply = await send(port, 'GET', `/?token=${TOKEN}&x=1`, { accept: 'text/html' });
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/?x=1');
    assert.match(
      String(reply.headers['set-cookie']),
      /^engine_status_token=s3cret-status-token; Path=\/; HttpOnly; SameSite=Strict$/,
    );
  });

  test('a browser without the token gets the login form; posting the token sets the cookie', async () => {
    const form = await send(port, 'GET', '/', { accept: 'text/html' });
    assert.equal(form.status, 401);
    assert.match(String(form.headers['content-type']), /^text\/html/);
    assert.match(form.body, /<form method="post" action="\/login">/);
    const wrong = await send(
      port,
      'POST',
      '/login',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'token=nope',
    );
    assert.equal(wrong.status, 401);
    const right = await send(
      port,
      'POST',
      '/login',
      { 'content-type': 'application/x-www-form-urlencoded' },
      `token=${encodeURIComponent(TOKEN)}`,
    );
    assert.equal(right.status, 303);
    assert.equal(right.headers.location, '/');
    assert.match(String(right.headers['set-cookie']), /^engine_status_token=/);
  });

  test('bound to loopback, no warning is logged', () => {
    assert.equal(logged.filter((line) => line.level === 'warn').length, 0);
  });
});

describe('status server without a token', () => {
  test('answers everything without a token, logs nothing on loopback; what counts as beyond loopback', async () => {
    const logged: Record<string, unknown>[] = [];
    const log = createLogger('debug', (line) => logged.push(JSON.parse(line) as Record<string, unknown>));
    const server = await startStatusServer(provider, '127.0.0.1', 0, log);
    const { port } = server;
    try {
      assert.equal((await send(port, 'GET', '/devices')).status, 200);
      assert.equal((await send(port, 'POST', '/login', {}, 'token=x')).status, 405);
      assert.equal(logged.length, 0);
    } finally {
      await server.close();
    }
    // Tests bind to loopback only; what counts as beyond it is decided here.
    assert.deepEqual(
      ['127.0.0.1', '127.0.0.2', '::1', 'localhost', '::ffff:127.0.0.1', '0.0.0.0', '::', '192.168.1.10'].map((host) =>
        isLoopback(host),
      ),
      [true, true, true, true, true, false, false, false],
    );
  });
});
