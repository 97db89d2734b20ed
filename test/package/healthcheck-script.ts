import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { ROOT } from '../paths.js';

/** The image's HEALTHCHECK program (copied to /opt/engine/healthcheck.mjs). */
export const HEALTHCHECK = path.join(ROOT, 'scripts', 'healthcheck.mjs');

/**
 * Runs the health check to completion; `enginePid` names the process whose command line it reads.
 * Asynchronous, so that a status server in the calling process can answer it.
 */
export function runHealthcheck(enginePid: number | undefined): Promise<{ status: number | null; stderr: string }> {
  const env = { ...process.env, ENGINE_PID: String(enginePid ?? '') };
  return new Promise((resolve) => {
    execFile(process.execPath, [HEALTHCHECK], { encoding: 'utf8', env, timeout: 30_000 }, (error, _stdout, stderr) =>
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
    );
  });
}

/** A loopback port nothing listens on right now (the health check cannot follow `--port 0`). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
