import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../paths.js';

/** Debian's interpreter, which has python3-pymodbus. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(ROOT, 'test', 'network', 'modbus_server.py');

/** The identity a server answers Read Device Identification with. */
export interface ModbusIdentityText {
  vendor: string;
  product: string;
  revision: string;
}

/** A running Modbus TCP server (pymodbus) on 127.0.0.1. */
export interface ModbusServer {
  port: number;
  /** Ends it (closing its input) and waits for it to exit; killed if it does not. */
  stop(): Promise<void>;
}

/** Why the Modbus server cannot run here, or undefined when it can. */
export function modbusServerMissing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing (apt-get install python3-pymodbus)`;
  return undefined;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await once(child, 'exit');
  clearTimeout(guard);
}

/** Starts a pymodbus server on 127.0.0.1 (a free port unless `port`) answering with `identity`. */
export async function startModbusServer(identity: ModbusIdentityText, port = 0): Promise<ModbusServer> {
  const child = spawn(
    PYTHON,
    [SCRIPT, '127.0.0.1', String(port), identity.vendor, identity.product, identity.revision],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const listening = new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      const found = /^listening (\d+)$/.exec(line);
      if (found) resolve(Number(found[1]));
    });
    child.once('exit', (code) => reject(new Error(`the Modbus server exited (${code}) before listening`)));
  });
  const stop = async () => {
    child.stdin!.end();
    await exited(child);
  };
  try {
    return { port: await listening, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
