// The image's HEALTHCHECK (scripts/healthcheck.mjs) asks /healthz where the engine's own command
// line says the status server is, so `docker run IMAGE --port 8080` stays healthy.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, ROOT } from '../paths.js';
import { freePort, HEALTHCHECK, runHealthcheck } from './healthcheck-script.js';

/** A process whose command line carries ARGS, as the engine's does. */
function processWithArgs(args: string[]): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', ...args], { stdio: 'ignore' });
}

function statusServer(status: number): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    response.statusCode = request.url === '/healthz' ? status : 404;
    response.end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

describe('the image health check', () => {
  const running: ChildProcess[] = [];
  const servers: Server[] = [];
  let healthy = 0;
  let starting = 0;
  before(async () => {
    const ok = await statusServer(200);
    const notReady = await statusServer(503);
    servers.push(ok.server, notReady.server);
    [healthy, starting] = [ok.port, notReady.port];
  });
  after(() => {
    for (const child of running) child.kill();
    for (const server of servers) server.close();
  });
  const check = async (args: string[]) => {
    const child = processWithArgs(args);
    running.push(child);
    return runHealthcheck(child.pid);
  };

  test('follows --port and --port=, and --host', async () => {
    assert.equal(
      (await check(['--profiles', '/profiles', '--host', '127.0.0.1', '--port', String(healthy)])).status,
      0,
    );
    assert.equal((await check(['--port=' + String(healthy)])).status, 0);
    // A wildcard address is asked on loopback.
    assert.equal((await check(['--host', '0.0.0.0', '--port', String(healthy)])).status, 0);
  });

  test('fails while /healthz answers 503, where nothing listens, and on --port 0', async () => {
    const starting503 = await check(['--port', String(starting)]);
    assert.equal(starting503.status, 1);
    assert.match(starting503.stderr, /answered 503/);
    assert.equal((await check(['--port', String(await freePort())])).status, 1);
    const picked = await check(['--port', '0']);
    assert.equal(picked.status, 1);
    assert.match(picked.stderr, /--port 0/);
  });

  // As in a container: the engine is a child of PID 1 (tini) in a PID namespace of its own.
  const unshare = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']);
  const skip =
    unshare.status === 0
      ? undefined
      : `unshare --pid needs root here: ${unshare.stderr?.toString().trim() || unshare.error?.message}`;
  test('finds the engine as a child of PID 1 without being told', { skip }, async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'engine-health-'));
    try {
      const port = await freePort();
      const script = [
        `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} --profiles ${JSON.stringify(path.join(ROOT, 'profiles'))} --state ${JSON.stringify(scratch)} --port ${port} 2>/dev/null &`,
        'tries=0',
        `until ${JSON.stringify(process.execPath)} ${JSON.stringify(HEALTHCHECK)} 2>/dev/null; do tries=$((tries + 1)); [ $tries -lt 600 ] || exit 1; sleep 0.1; done`,
        'echo healthy; kill -TERM $!; wait $!',
      ].join('\n');
      const env = { ...process.env };
      delete env.ENGINE_PID;
      // Without an engine under PID 1, the check fails rather than ask some other server.
      const alone = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, HEALTHCHECK], {
        encoding: 'utf8',
        env,
        timeout: 60_000,
      });
      assert.equal(alone.status, 1);
      assert.match(alone.stderr, /no engine process found/);
      const result = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', script], {
        encoding: 'utf8',
        env,
        timeout: 120_000,
      });
      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /healthy\n$/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
