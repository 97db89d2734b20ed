#!/usr/bin/env node
// The image's HEALTHCHECK. It asks the status server where the running engine put it: the
// `--host`/`--port` of the engine's own command line (read from /proc), so a container started
// with `--port 8080` is checked on 8080, not on the image's default 6769.
// ENGINE_PID names the engine process; without it, the engine is found as PID 1 or a child of
// it (under tini). Exit 0: GET /healthz answered 200; exit 1 otherwise.
import { readdirSync, readFileSync } from 'node:fs';

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = '6769';
const TIMEOUT_MS = 4000;

const argvOf = (pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

/** The engine daemon: `node …/dist/engine/cli.js` (or its `engine` link) with options only, no command. */
const isEngine = (argv) =>
  /(^|\/)(dist\/engine\/cli\.js|engine)$/.test(argv[1] ?? '') && (argv[2] === undefined || argv[2].startsWith('--'));

/** The parent's PID from /proc/PID/stat (the field after the command name, which may hold spaces). */
const parentOf = (pid) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop().split(' ')[1]);

/** The engine is PID 1 (no init) or a child of PID 1 (tini, `docker run --init`). */
function engineArgv() {
  if (process.env.ENGINE_PID) return argvOf(process.env.ENGINE_PID);
  const candidates = ['1', ...readdirSync('/proc').filter((name) => /^\d+$/.test(name) && name !== '1')];
  for (const pid of candidates) {
    try {
      if (pid !== '1' && parentOf(pid) !== 1) continue;
      const argv = argvOf(pid);
      if (isEngine(argv)) return argv;
    } catch {
      // The process ended while /proc was read.
    }
  }
  return undefined;
}

/** The value of `--name V` or `--name=V` (the forms node:util parseArgs accepts); the last one wins, as there. */
function option(argv, name) {
  let value;
  argv.forEach((arg, index) => {
    if (arg === `--${name}`) value = argv[index + 1];
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  });
  return value;
}

/** Where to reach a server listening on `host`: a wildcard address is reached on loopback. */
function reachableHost(host) {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

const argv = engineArgv();
if (!argv) {
  console.error('healthcheck: no engine process found');
  process.exit(1);
}
const host = reachableHost(option(argv, 'host') ?? DEFAULT_HOST);
const port = option(argv, 'port') ?? DEFAULT_PORT;
if (port === '0') {
  // A port picked at start-up is only in the log; there is nothing to ask.
  console.error('healthcheck: the engine runs with --port 0; give it a fixed port to check its health');
  process.exit(1);
}
try {
  const response = await fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) console.error(`healthcheck: http://${host}:${port}/healthz answered ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`healthcheck: http://${host}:${port}/healthz: ${error.message}`);
  process.exit(1);
}
