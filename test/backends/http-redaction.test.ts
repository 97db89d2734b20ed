// Secrets from the config never leave the engine: not in a reason, not on /devices, not in a log
// line, even when a webhook echoes its Authorization header in its error answer.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '../../engine/config/load-config.js';
import { createLogger } from '../../engine/core/log.js';
import { credentialsIn, SecretRegistry, secrets } from '../../engine/core/secrets.js';
import { deviceProfile, startEngine, waitFor, workspace } from '../daemon/engine-process.js';

test('credentials: header values, URL query values and credential-named options; descriptive headers stay readable', () => {
  assert.deepEqual(
    credentialsIn({
      url: 'https://hook.example/x?token=t0ken-1&site=lab-7',
      headers: { authorization: 'Bearer abc123', 'content-type': 'application/json' },
      apiKey: 'k3y-value',
      timeoutMs: 1000,
    }).sort(),
    ['Bearer abc123', 'k3y-value', 'lab-7', 't0ken-1'],
  );
});

test('an option that only mentions a credential word (apiKeyIn: header) is no credential; the status token from the environment is', () => {
  assert.deepEqual(credentialsIn({ apiKey: 'k3y-value', apiKeyIn: 'header' }), ['k3y-value']);
  const { config } = parseConfig('engine.yaml', 'params: {}\n', { ENGINE_STATUS_TOKEN: 'st4tus-token-1' });
  assert.equal(config?.status.token, 'st4tus-token-1');
  assert.ok(config?.secrets.includes('st4tus-token-1'));
});

test('the registry redacts raw, URL-encoded and JSON-escaped forms, and the token of a Bearer value', () => {
  const registry = new SecretRegistry();
  registry.add(['Bearer s3cr/et"x', 'ab']);
  assert.equal(
    registry.redact('got s3cr/et"x and s3cr%2Fet%22x and s3cr/et\\"x; ab stays'),
    'got [redacted] and [redacted] and [redacted]; ab stays',
  );
});

test('parseConfig records every ${ENV} value substituted into a backend, and the logger never prints it', () => {
  const { config } = parseConfig(
    'engine.yaml',
    'backends:\n  hook: { type: http, url: "https://h.example/${HOOK_PATH}", headers: { x-auth: "${HOOK_TOKEN}" } }\n',
    { HOOK_PATH: 'p4th-secret', HOOK_TOKEN: 'tok-998877' },
  );
  assert.deepEqual(config?.secrets.sort(), ['p4th-secret', 'tok-998877']);
  const lines: string[] = [];
  createLogger('debug', (line) => lines.push(line)).warn('answer', { body: 'echo: tok-998877 at /p4th-secret' });
  assert.match(lines[0]!, /echo: \[redacted\] at \/\[redacted\]/);
  assert.ok(secrets.size > 0);
});

test('a webhook echoing its Authorization header: the token reaches neither the log, /devices nor the state file', async () => {
  const token = 'hook-token-5f3a9c';
  const server = http.createServer((request, response) => {
    response
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: `bad request; you sent authorization: ${request.headers.authorization}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const space = workspace();
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space, { backend: 'hook' }));
  writeFileSync(
    space.config,
    `backends:\n  hook: { type: http, url: "http://127.0.0.1:${(server.address() as AddressInfo).port}/hook", headers: { authorization: "Bearer \${HOOK_TOKEN}" } }\n`,
  );
  const engine = await startEngine(space, [], { ...process.env, HOOK_TOKEN: token });
  try {
    writeFileSync(path.join(space.dev, 'sensor1'), '');
    type Device = { source: string; deliveries: { state: string; lastError?: string }[] };
    const failed = async () =>
      ((await engine.get('/devices')).body as Device[])
        .filter((device) => device.source === 'file')
        .flatMap((device) => device.deliveries)
        .find((delivery) => delivery.state === 'failed');
    await waitFor('the permanent failure on /devices', async () => (await failed()) !== undefined);
    assert.match((await failed())!.lastError!, /you sent authorization: (Bearer )?\[redacted\]/);
    const everything = [
      JSON.stringify(engine.logs),
      (await engine.get('/devices')).text,
      (await engine.get('/metrics')).text,
    ];
    assert.equal(await engine.stop(), 0);
    // Every state file: the snapshot, its journal, whatever else the engine keeps there.
    const stateFiles = readdirSync(space.state).filter((name) => statSync(path.join(space.state, name)).isFile());
    assert.ok(
      stateFiles.some((name) => name.startsWith('reconciler.')),
      'the reconciler saved its state',
    );
    for (const name of stateFiles) everything.push(readFileSync(path.join(space.state, name), 'utf8'));
    for (const text of everything) assert.ok(!text.includes(token), 'the token appears nowhere');
  } finally {
    await engine.kill().catch(() => undefined);
    await new Promise((resolve) => server.close(resolve));
    rmSync(space.root, { recursive: true, force: true });
  }
});

test('a log line stays JSON whatever a secret looks like', () => {
  secrets.add(['level', '"quoted"']);
  const lines: string[] = [];
  createLogger('debug', (line) => lines.push(line)).info('the level is "quoted"', { port: 5080 });
  const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(parsed['level'], 'info');
  assert.equal(parsed['msg'], 'the [redacted] is [redacted]');
  assert.equal(parsed['port'], 5080);
});
