// Waiting on the programs that play network peers in the discovery tests: a line they print,
// their exit. Bounded, so a peer that never starts fails the test with what it printed.
import type { ChildProcess } from 'node:child_process';

/** How long a peer may take to say it is ready, generous for a loaded machine. */
export const PEER_START_MS = 30_000;

/**
 * Resolves once `child` has printed `text` on `stream`; rejects when it exits first or after
 * `timeoutMs`, with what it printed.
 */
export function outputSays(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  text: string,
  what: string,
  timeoutMs = PEER_START_MS,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const output = child[stream]!;
    const done = (error?: Error) => {
      clearTimeout(timer);
      output.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes(text)) done();
    };
    const onExit = (code: number | null) =>
      done(new Error(`${what}: exited (${code}) before saying ${JSON.stringify(text)}; it said: ${seen}`));
    const timer = setTimeout(
      () => done(new Error(`${what}: did not say ${JSON.stringify(text)} within ${timeoutMs} ms; it said: ${seen}`)),
      timeoutMs,
    );
    output.on('data', onData);
    child.on('exit', onExit);
  });
}

/** Resolves once `child` has exited (at once when it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
