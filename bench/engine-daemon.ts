// Starts the engine daemon as a real child process for a benchmark, and times its start-up.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/** One JSON log line of the engine; `time` is its ISO timestamp (millisecond resolution). */
export type EngineLogLine = Record<string, unknown> & { time?: string; level: string; msg: string };

/** A daemon started by `startDaemon`, ready. */
export interface BenchDaemon {
  pid: number;
  /** Every log line so far, in order; it keeps growing while the daemon runs. */
  logs: EngineLogLine[];
  /** Milliseconds from just before `spawn` to the arrival of the `engine ready` line. */
  readyMs: number;
  /** SIGTERM, and resolves with the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

const READY_TIMEOUT_MS = 60_000;

/**
 * Runs `node cli ARGS` (with `env`, e.g. a umockdev testbed's) and resolves once it logs
 * `engine ready`; rejects if it exits first or takes over a minute. `stdout`, when given, gets
 * what the engine writes there (a stdout backend's lines).
 */
export function startDaemon(
  cli: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  stdout?: (chunk: string) => void,
): Promise<BenchDaemon> {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', stdout ? 'pipe' : 'ignore', 'pipe'], env });
  if (stdout) child.stdout!.setEncoding('utf8').on('data', stdout);
  const logs: EngineLogLine[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(killer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`engine not ready after ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    let pending = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const text of lines) {
        let line: EngineLogLine;
        try {
          line = JSON.parse(text) as EngineLogLine;
        } catch {
          line = { level: 'raw', msg: text };
        }
        logs.push(line);
        if (line.msg !== 'engine ready') continue;
        clearTimeout(timer);
        resolve({ pid: child.pid!, logs, readyMs: performance.now() - started, stop });
      }
    });
    child.on('error', reject);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `engine exited with ${code} before it was ready:\n${logs
            .map((line) => JSON.stringify(line))
            .join('\n')
            .slice(-3000)}`,
        ),
      );
    });
  });
}

/** How many inotify watches a live process holds (`inotify wd:` lines of its inotify descriptors). */
export async function inotifyWatches(pid: number): Promise<number> {
  let watches = 0;
  for (const fd of await readdir(`/proc/${pid}/fdinfo`)) {
    const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
    watches += info.split('\n').filter((line) => line.startsWith('inotify wd:')).length;
  }
  return watches;
}

/** The resident set (VmRSS) of a live process, in KiB. */
export async function residentKiB(pid: number): Promise<number> {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}
