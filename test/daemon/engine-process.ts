import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI } from '../paths.js';

/** One JSON log line of the engine. */
export type LogLine = Record<string, unknown> & { msg: string; level: string };

/** An engine daemon running as a real child process. */
export interface EngineProcess {
  port: number;
  /** The process id, to send it signals. */
  pid: number;
  logs: LogLine[];
  stdout: () => string;
  get(pathname: string): Promise<{ status: number; body: unknown; text: string }>;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to save anything. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** A scratch folder holding `profiles/`, `dev/` (where test "devices" appear), `state/`. */
export interface Workspace {
  root: string;
  profiles: string;
  dev: string;
  state: string;
  config: string;
}

export function workspace(): Workspace {
  const root = mkdtempSync(path.join(tmpdir(), 'engine-e2e-'));
  const folders = {
    profiles: path.join(root, 'profiles'),
    dev: path.join(root, 'dev'),
    state: path.join(root, 'state'),
  };
  for (const folder of Object.values(folders)) mkdirSync(folder);
  return { root, ...folders, config: path.join(root, 'engine.yaml') };
}

/** A profile matching `<dev>/<prefix>*` that notifies `backend`, with `name` mapped from `label`. */
export function deviceProfile(
  space: Workspace,
  options: { name?: string; prefix?: string; label?: string; backend?: string } = {},
): string {
  const { name = 'test-device', prefix = 'sensor', label = 'Test sensor', backend = 'nuvlabox' } = options;
  return `name: ${name}
detect:
  file: { path: "${space.dev}/${prefix}*" }
map:
  identifier: { cat: ["${name}:", { var: "file.name" }] }
  name: { cat: ["${label} ", { var: "file.name" }] }
  available: true
  classes: [sensor]
  interface: USB
  device-path: { var: "file.path" }
  description: { cat: ["at site ", { var: "params.site" }] }
notify:
  - backend: ${backend}
`;
}

/** Writes the engine config: a `nuvlabox` backend at `agentUrl`, quick retries for tests. */
export function writeConfig(space: Workspace, agentUrl: string, extra = ''): void {
  writeFileSync(
    space.config,
    `params: { site: test-lab }
delivery: { retryBaseMs: 50, retryCapMs: 400 }
backends:
  nuvlabox: { type: nuvlabox-agent, url: "${agentUrl}", requestTimeoutMs: 1000 }
${extra}`,
  );
}

/** Polls `condition` until it holds, or fails after `timeoutMs` with `what`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts the engine on the workspace and resolves once it is ready. `env`, when given, is the
 * child's whole environment (e.g. `testbed.env()` to run it under a umockdev testbed);
 * `onLine` sees each log line as it comes, start-up included, with the process id.
 */
export async function startEngine(
  space: Workspace,
  args: string[] = [],
  env?: NodeJS.ProcessEnv,
  onLine?: (line: LogLine, pid: number) => void,
): Promise<EngineProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      CLI,
      '--profiles',
      space.profiles,
      '--state',
      space.state,
      '--config',
      space.config,
      '--port',
      '0',
      '--log-level',
      'debug',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env },
  );
  const logs: LogLine[] = [];
  let stdout = '';
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        parsed = { level: 'raw', msg: line };
      }
      logs.push(parsed);
      onLine?.(parsed, child.pid!);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let early: number | null | undefined;
  void exited.then((code) => (early = code));
  await waitFor(
    'the engine to be ready',
    () => early !== undefined || logs.some((line) => line.msg === 'engine ready'),
    20_000,
  );
  if (early !== undefined)
    throw new Error(
      `engine exited with ${early} before it was ready:\n${logs.map((line) => JSON.stringify(line)).join('\n')}`,
    );
  const port = Number(logs.find((line) => line.msg === 'engine ready')!.port);
  return {
    port,
    pid: child.pid!,
    logs,
    stdout: () => stdout,
    exited,
    async get(pathname) {
      const response = await fetch(`http://127.0.0.1:${port}${pathname}`);
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.status, body, text };
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
