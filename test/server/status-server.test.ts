import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createLogger } from '../../engine/core/log.js';
import { acceptsGzip, serveStatus } from '../../engine/server/status-http.js';
import {
  MetricsText,
  startStatusServer,
  type StatusProvider,
  type StatusServer,
} from '../../engine/server/status-server.js';
import { waitFor } from '../daemon/engine-process.js';
import { deviceOf, profilesOf, summaryOf } from './status-fixtures.js';

const ENDPOINTS = ['/', '/healthz', '/devices', '/profiles', '/metrics'];

/** A provider whose answers the tests can change, and which can be made to throw. */
function fakeProvider() {
  const state = { healthy: true, throwing: new Set<string>() };
  const guard =
    <T>(name: string, value: () => T) =>
    () => {
      if (state.throwing.has(name)) throw new Error(`${name} exploded`);
      return value();
    };
  const provider: StatusProvider = {
    summary: guard('summary', () => summaryOf({ devices: { present: 2, matched: 1, leaving: 0 } })),
    healthy: guard('healthy', () => state.healthy),
    devices: guard('devices', () => [deviceOf('usb:1-1', { profile: 'gps-ublox' })]),
    profiles: guard('profiles', () => profilesOf('gps-ublox')),
    metrics: guard('metrics', () =>
      new MetricsText().add('engine_ready', 'gauge', 'Whether start-up is complete.', [[{}, 1]]).toString(),
    ),
  };
  return { provider, state };
}

interface Reply {
  status: number;
  type: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request; raw, so that paths reach the server exactly as written. */
function send(port: number, method: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: response.headers['content-type'],
          headers: response.headers,
          body,
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** One GET with the given headers; the body as bytes (a gzip answer is not text). */
function sendRaw(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, agent: false, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('status server', () => {
  const { provider, state } = fakeProvider();
  const logged: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => logged.push(JSON.parse(line) as Record<string, unknown>));
  let server: StatusServer;
  let port: number;

  before(async () => {
    // Every request builds afresh: these tests change what the provider answers between requests.
    server = await startStatusServer(provider, '127.0.0.1', 0, log, { snapshotWindowMs: 0 });
    ({ port } = server);
  });
  after(() => server.close());

  test('port 0 picks a free port and reports it', async () => {
    assert.ok(port > 0 && port < 65536, String(port));
    assert.equal((await send(port, 'GET', '/healthz')).status, 200);
  });

  test('GET / answers the summary as JSON', async () => {
    const reply = await send(port, 'GET', '/');
    assert.equal(reply.status, 200);
    assert.equal(reply.type, 'application/json; charset=utf-8');
    assert.equal(reply.headers['cache-control'], 'no-store');
    assert.deepEqual(JSON.parse(reply.body), summaryOf({ devices: { present: 2, matched: 1, leaving: 0 } }));
  });

  test('GET /healthz: 200 when healthy, 503 while starting', async () => {
    const healthy = await send(port, 'GET', '/healthz');
    assert.deepEqual(
      [healthy.status, healthy.type, JSON.parse(healthy.body)],
      [200, 'application/json; charset=utf-8', { status: 'ok' }],
    );
    state.healthy = false;
    try {
      const starting = await send(port, 'GET', '/healthz');
      assert.deepEqual(
        [starting.status, starting.type, JSON.parse(starting.body)],
        [503, 'application/json; charset=utf-8', { status: 'starting' }],
      );
    } finally {
      state.healthy = true;
    }
  });

  test('GET /devices and /profiles answer JSON', async () => {
    const devices = await send(port, 'GET', '/devices');
    assert.deepEqual(
      [devices.status, devices.type, JSON.parse(devices.body)],
      [200, 'application/json; charset=utf-8', [deviceOf('usb:1-1', { profile: 'gps-ublox' })]],
    );
    const profiles = await send(port, 'GET', '/profiles');
    assert.deepEqual(
      [profiles.status, profiles.type, JSON.parse(profiles.body)],
      [200, 'application/json; charset=utf-8', profilesOf('gps-ublox')],
    );
  });

  test('a client that accepts gzip gets /, /devices and /profiles compressed; one that does not, plain', async () => {
    for (const path of ['/', '/devices', '/profiles']) {
      const plain = await send(port, 'GET', path);
      const gzipped = await sendRaw(port, path, { 'accept-encoding': 'gzip, deflate' });
      const refused = await sendRaw(port, path, { 'accept-encoding': 'gzip;q=0, identity' });
      assert.deepEqual(
        [plain.headers['content-encoding'], gzipped.headers['content-encoding'], refused.headers['content-encoding']],
        [undefined, 'gzip', undefined],
        path,
      );
      for (const reply of [plain, gzipped, refused]) assert.equal(reply.headers.vary, 'accept-encoding', path);
      assert.equal(gunzipSync(gzipped.body).toString(), plain.body, path);
      assert.equal(refused.body.toString(), plain.body, path);
    }
  });

  test('Accept-Encoding: gzip is accepted when named or covered by *, with a weight above 0', () => {
    const cases: [string | undefined, boolean][] = [
      [undefined, false],
      ['', false],
      ['identity', false],
      ['gzip', true],
      ['GZip', true],
      ['br, gzip;q=0.5', true],
      ['gzip;q=0', false],
      ['gzip; q=0.000', false],
      ['*', true],
      ['*;q=0', false],
      ['*, gzip;q=0', false],
      ['deflate, br', false],
    ];
    assert.deepEqual(
      cases.map(([header]) => [header, acceptsGzip(header)]),
      cases,
    );
  });

  test('GET /metrics answers Prometheus text, a query string is ignored', async () => {
    for (const path of ['/metrics', '/metrics?name=engine_ready']) {
      const reply = await send(port, 'GET', path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.type, 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(
        reply.body,
        '# HELP engine_ready Whether start-up is complete.\n# TYPE engine_ready gauge\nengine_ready 1\n',
      );
    }
  });

  test('HEAD is allowed and has no body', async () => {
    const reply = await send(port, 'HEAD', '/metrics');
    assert.deepEqual([reply.status, reply.type, reply.body], [200, 'text/plain; version=0.0.4; charset=utf-8', '']);
  });

  test('an unknown path is 404 with the list of endpoints', async () => {
    for (const path of ['/nope', '/devices/', '/metrics/x']) {
      const reply = await send(port, 'GET', path);
      assert.equal(reply.status, 404, path);
      assert.equal(reply.type, 'application/json; charset=utf-8');
      assert.deepEqual(JSON.parse(reply.body), { error: `no such endpoint: ${path}`, endpoints: ENDPOINTS });
    }
  });

  test('a path starting with // is not an endpoint either', async () => {
    const reply = await send(port, 'GET', '//metrics');
    assert.equal(reply.status, 404);
    assert.deepEqual(JSON.parse(reply.body).endpoints, ENDPOINTS);
  });

  test('POST, PUT and DELETE are 405 with an Allow header, on any path', async () => {
    for (const [method, path] of [
      ['POST', '/'],
      ['PUT', '/devices'],
      ['DELETE', '/metrics'],
      ['POST', '/nope'],
    ] as const) {
      const reply = await send(port, method, path);
      assert.equal(reply.status, 405, `${method} ${path}`);
      assert.equal(reply.headers.allow, 'GET, HEAD');
      assert.equal(reply.type, 'application/json; charset=utf-8');
      assert.deepEqual(JSON.parse(reply.body), { error: 'only GET' });
    }
  });

  test('a provider that throws gives 500, is logged, and the server keeps serving', async () => {
    logged.length = 0;
    for (const name of ['summary', 'devices', 'metrics', 'healthy']) {
      state.throwing.add(name);
      try {
        const path = name === 'summary' ? '/' : name === 'healthy' ? '/healthz' : `/${name}`;
        const reply = await send(port, 'GET', path);
        assert.equal(reply.status, 500, path);
        assert.equal(reply.type, 'application/json; charset=utf-8');
        assert.deepEqual(JSON.parse(reply.body), { error: 'internal error' });
      } finally {
        state.throwing.delete(name);
      }
    }
    assert.deepEqual(
      logged.map((line) => [line.level, line.msg, line.path, line.error]),
      [
        ['summary', '/'],
        ['devices', '/devices'],
        ['metrics', '/metrics'],
        ['healthy', '/healthz'],
      ].map(([name, path]) => ['error', 'status request failed', path, `${name} exploded`]),
    );
    const again = await send(port, 'GET', '/devices');
    assert.equal(again.status, 200);
  });

  test('concurrent requests are all answered', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, index) => send(port, 'GET', ENDPOINTS[index % ENDPOINTS.length]!)),
    );
    assert.deepEqual(
      replies.map((reply) => reply.status),
      Array.from({ length: 20 }, () => 200),
    );
  });

  test('a port already in use rejects', async () => {
    await assert.rejects(startStatusServer(provider, '127.0.0.1', port, log), { code: 'EADDRINUSE' });
  });
});

describe('MetricsText', () => {
  test('HELP and TYPE lines precede the samples of each family', () => {
    const text = new MetricsText()
      .add('engine_devices', 'gauge', 'Devices present, by source.', [
        [{ source: 'usb' }, 2],
        [{ source: 'file' }, 0],
      ])
      .add('engine_events_total', 'counter', 'Events seen.', [[{ source: 'usb', action: 'add' }, 7]])
      .add('engine_empty', 'gauge', 'A family without samples.', [])
      .toString();
    assert.equal(
      text,
      [
        '# HELP engine_devices Devices present, by source.',
        '# TYPE engine_devices gauge',
        'engine_devices{source="usb"} 2',
        'engine_devices{source="file"} 0',
        '# HELP engine_events_total Events seen.',
        '# TYPE engine_events_total counter',
        'engine_events_total{source="usb",action="add"} 7',
        '# HELP engine_empty A family without samples.',
        '# TYPE engine_empty gauge',
        '',
      ].join('\n'),
    );
  });

  test('no labels: no braces; an empty builder is one newline', () => {
    assert.equal(
      new MetricsText().add('up', 'gauge', 'Up.', [[{}, 1]]).toString(),
      '# HELP up Up.\n# TYPE up gauge\nup 1\n',
    );
    assert.equal(new MetricsText().toString(), '\n');
  });

  test('label values escape backslashes, quotes and newlines', () => {
    const text = new MetricsText().add('m', 'gauge', 'M.', [[{ path: 'C:\\dev "x"\nnext', plain: 'a' }, 3]]).toString();
    const sample = text.split('\n')[2];
    assert.equal(sample, 'm{path="C:\\\\dev \\"x\\"\\nnext",plain="a"} 3');
    assert.equal(text.split('\n').length, 4);
  });

  test('a backslash before a quote is escaped once each, not doubled into a closing quote', () => {
    const sample = new MetricsText()
      .add('m', 'gauge', 'M.', [[{ value: '\\"' }, 1]])
      .toString()
      .split('\n')[2];
    assert.equal(sample, 'm{value="\\\\\\""} 1');
  });

  test('HELP text escapes backslashes and newlines', () => {
    const text = new MetricsText().add('m', 'gauge', 'Line one\nline two \\ end.', [[{}, 1]]).toString();
    assert.equal(text, '# HELP m Line one\\nline two \\\\ end.\n# TYPE m gauge\nm 1\n');
  });
});

describe('status server thread', () => {
  test('a thread that ends on its own is started again on the same port, and says so', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'status-thread-'));
    process.env.ENDING_STATUS_WORKER_MARKER = path.join(folder, 'ended-once');
    const logged: Record<string, unknown>[] = [];
    const log = createLogger('debug', (line) => logged.push(JSON.parse(line) as Record<string, unknown>));
    const { provider } = fakeProvider();
    const module = new URL('./ending-status-worker.js', import.meta.url);
    const server = await startStatusServer(provider, '127.0.0.1', 0, log, {}, module);
    try {
      await waitFor('the restart to be logged', () =>
        logged.some((line) => line.msg === 'status server thread ended; starting it again'),
      );
      await waitFor('the server to answer again', async () => {
        try {
          return (await send(server.port, 'GET', '/healthz')).status === 200;
        } catch {
          return false;
        }
      });
      assert.deepEqual(
        logged.map((line) => [line.level, line.msg, line.code, line.port]),
        [['error', 'status server thread ended; starting it again', 7, server.port]],
      );
      assert.deepEqual(JSON.parse((await send(server.port, 'GET', '/devices')).body), [
        deviceOf('usb:1-1', { profile: 'gps-ublox' }),
      ]);
    } finally {
      await server.close();
      delete process.env.ENDING_STATUS_WORKER_MARKER;
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

test('listening, every error of the server itself is reported and the server goes on answering', async () => {
  const failures: (string | undefined)[][] = [];
  const { server, port } = await serveStatus(
    {
      ask: async () => ({ healthy: true }),
      failed: (where, message) => failures.push([where, message]),
    },
    '127.0.0.1',
    0,
  );
  try {
    // What Node emits when accept() fails, here twice: no file descriptor left.
    for (let time = 0; time < 2; time++)
      server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
    assert.deepEqual(failures, [
      [undefined, 'accept EMFILE'],
      [undefined, 'accept EMFILE'],
    ]);
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), { status: 'ok' });
  } finally {
    server.close();
  }
});
