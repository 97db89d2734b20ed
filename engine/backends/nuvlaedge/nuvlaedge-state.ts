// The set a nuvlaedge-files backend publishes, kept in the engine's state folder so that a
// restarted engine publishes the whole set again, not only what changes after the restart.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Payload } from '../backend.js';
import { writeFileAtomic } from '../../core/durable-file.js';

const FORMAT_VERSION = 1;

/** Where the set is kept. */
export interface StateFile {
  file: string;
}

export function stateFile(stateDir: string, backendName: string): StateFile {
  return { file: path.join(stateDir, `nuvlaedge-${backendName}.json`) };
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
  await mkdir(path.dirname(state.file), { recursive: true });
  await writeFileAtomic(state.file, `${JSON.stringify({ version: FORMAT_VERSION, peripherals }, null, 2)}\n`);
}
