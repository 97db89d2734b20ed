// A DNS-SD service published with python-zeroconf (Debian's python3-zeroconf) with short record
// TTLs, for what avahi cannot show quickly: a responder killed without a goodbye going stale.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../paths.js';
import { exitOf, outputSays } from './peer-process.js';

/** The interpreter that has python3-zeroconf (Debian's). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(ROOT, 'test', 'network', 'zeroconf_publisher.py');

/** Why python-zeroconf cannot run here, or undefined when it can. */
export function zeroconfMissing(): string | undefined {
  const check = spawnSync(PYTHON, ['-c', 'import zeroconf'], { encoding: 'utf8' });
  return check.status === 0 ? undefined : `${PYTHON} cannot import zeroconf (apt-get install python3-zeroconf)`;
}

/** A service published until it is withdrawn (goodbye) or killed (none). */
export interface ZeroconfService {
  withdraw(): Promise<void>;
  kill(): Promise<void>;
}

/** Publishes `instance` of `type` on 127.0.0.1, its records living `ttlSeconds`; resolves once announced. */
export async function publishWithZeroconf(
  instance: string,
  type: string,
  port: number,
  ttlSeconds: number,
  txt: Readonly<Record<string, string>> = {},
): Promise<ZeroconfService> {
  const args = [
    SCRIPT,
    instance,
    type,
    String(port),
    String(ttlSeconds),
    ...Object.entries(txt).map(([key, value]) => `${key}=${value}`),
  ];
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await outputSays(child, 'stdout', 'registered', `zeroconf publisher of ${instance}`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    async withdraw() {
      child.kill('SIGTERM');
      await exitOf(child);
    },
    async kill() {
      child.kill('SIGKILL');
      await exitOf(child);
    },
  };
}
