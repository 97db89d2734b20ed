// The set a nuvlaedge-files backend publishes, kept in the engine's state folder so that a
// restarted engine publishes the whole set again, not only what changes after the restart.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Payload } from './backend.js';
import { renameAndSync, writeAndSync } from './nuvlaedge-durable-file.js';

const FORMAT_VERSION = 1;

/** The state file's path and the temporary file it is written through. */
export interface StateFile {
  file: string;
  temp: string;
}

export function stateFile(stateDir: string, backendName: string): StateFile {
  const name = `nuvlaedge-${backendName}.json`;
  return { file: path.join(stateDir, name), temp: path.join(stateDir, `.${name}.${process.pid}.tmp`) };
}

/** The state file is there but is not one this backend wrote. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/** The persisted set: empty when there is no state file yet. */
export async function loadPeripherals(state: StateFile): Promise<Map<string, Payload>> {
  let text: string;
  try {
    text = await readFile(state.file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StateFileError(`${state.file} is not JSON`);
  }
  const peripherals = (parsed as { peripherals?: unknown } | null)?.peripherals;
  if (typeof peripherals !== 'object' || peripherals === null || Array.isArray(peripherals)) {
    throw new StateFileError(`${state.file} holds no "peripherals" object`);
  }
  return new Map(Object.entries(peripherals as Record<string, Payload>));
}

/** Replaces the state file atomically (temporary file, fsync, rename). */
export async function savePeripherals(state: StateFile, peripherals: Record<string, Payload>): Promise<void> {
  const folder = path.dirname(state.file);
  await mkdir(folder, { recursive: true });
  await writeAndSync(state.temp, `${JSON.stringify({ version: FORMAT_VERSION, peripherals }, null, 2)}\n`);
  await renameAndSync(state.temp, state.file, folder);
}
