// Runs one program for a local action (exec backend, balena update/restart hooks): an argv list,
// never a shell, so no device fact or hook body can inject a command.
import { builtInModule } from '../core/built-in-module.js';
import type { Logger } from '../core/log.js';

const childProcess = builtInModule('node:child_process');

/** How long a program gets after SIGTERM before SIGKILL. */
export const KILL_GRACE_MS = 2000;
/** Output lines logged per run; the rest is counted, not logged. */
const MAX_LOGGED_LINES = 50;
/** Characters kept of one output line. */
const MAX_LINE_LENGTH = 500;

export interface ProgramRun {
  /** The program and its arguments; `argv[0]` is looked up on the child's PATH. */
  argv: readonly string[];
  /** The child's whole environment: nothing of the engine's own is passed unless listed here. */
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  /** Aborting it (engine stopping) terminates the program the same way as the timeout. */
  signal?: AbortSignal;
  /** Each output line is logged here at info level, with `stream: stdout|stderr`. */
  log: Logger;
}

/** How a program run ended. */
export type ProgramResult =
  | { outcome: 'exited'; code: number; ms: number }
  | { outcome: 'killed'; signal: string; ms: number }
  | { outcome: 'timed-out'; ms: number }
  | { outcome: 'aborted'; ms: number }
  /** It could not be started at all: missing (ENOENT), not executable (EACCES), ... */
  | { outcome: 'not-started'; code: string };

/** Logs a stream line by line, bounded in count and length. */
function lineLogger(run: ProgramRun, stream: 'stdout' | 'stderr', budget: { lines: number; dropped: number }) {
  let pending = '';
  const emit = (line: string) => {
    if (line === '') return;
    if (budget.lines <= 0) {
      budget.dropped++;
      return;
    }
    budget.lines--;
    run.log.info('program output', {
      stream,
      line: line.length > MAX_LINE_LENGTH ? `${line.slice(0, MAX_LINE_LENGTH)}…` : line,
    });
  };
  return {
    write(chunk: string) {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      // A program that never ends a line must not grow the buffer without bound.
      if (pending.length > MAX_LINE_LENGTH * 4) {
        emit(pending);
        pending = '';
      }
      for (const line of lines) emit(line);
    },
    flush: () => emit(pending),
  };
}

/**
 * Runs `argv` to its end, or until the timeout or the signal: then SIGTERM, and SIGKILL after
 * {@link KILL_GRACE_MS}. Never rejects.
 */
export function runProgram(run: ProgramRun): Promise<ProgramResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const [program, ...args] = run.argv;
    const child = childProcess().spawn(program!, args, {
      env: { ...run.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    });
    const budget = { lines: MAX_LOGGED_LINES, dropped: 0 };
    const out = lineLogger(run, 'stdout', budget);
    const err = lineLogger(run, 'stderr', budget);
    child.stdout!.setEncoding('utf8').on('data', out.write);
    child.stderr!.setEncoding('utf8').on('data', err.write);
    let stoppedBy: 'timed-out' | 'aborted' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = (why: 'timed-out' | 'aborted') => {
      if (stoppedBy || child.exitCode !== null) return;
      stoppedBy = why;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => terminate('timed-out'), run.timeoutMs);
    const onAbort = () => terminate('aborted');
    run.signal?.addEventListener('abort', onAbort, { once: true });
    if (run.signal?.aborted) onAbort();
    const finish = (result: ProgramResult) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      run.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      // 'error' without a pid means the program never ran; 'close' does not follow then.
      if (child.pid === undefined) finish({ outcome: 'not-started', code: error.code ?? 'EUNKNOWN' });
    });
    child.on('close', (code, signal) => {
      out.flush();
      err.flush();
      if (budget.dropped > 0) run.log.info('program output truncated', { droppedLines: budget.dropped });
      if (stoppedBy) finish({ outcome: stoppedBy, ms: elapsed() });
      else if (signal) finish({ outcome: 'killed', signal, ms: elapsed() });
      else finish({ outcome: 'exited', code: code ?? 0, ms: elapsed() });
    });
  });
}
