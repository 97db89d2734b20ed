// The set a nuvlaedge-files backend publishes, kept in the engine's state folder so that a
// restarted engine publishes the whole set again, not only what changes after the restart.
import path from 'node:path';
import type { Payload } from '../backend.js';
import { isPlainObject } from '../../core/plain-object.js';
import { JsonStateFile } from '../../core/json-state-file.js';
import type { Logger } from '../../core/log.js';

const FORMAT_VERSION = 1;

/** Where the set is kept. */
export interface StateFile {
  file: string;
}

export function stateFile(stateDir: string, backendName: string): StateFile {
  return { file: path.join(stateDir, `nuvlaedge-${backendName}.json`) };
}

/**
 * The persisted set, peripheral documents by identifier, saved from `current()`. A file that
 * cannot be read is set aside and the set starts empty: what is present is delivered again.
 */
export function peripheralsFile(
  state: StateFile,
  current: () => ReadonlyMap<string, Payload>,
  log: Logger,
): JsonStateFile<Payload> {
  return new JsonStateFile<Payload>({
    file: state.file,
    what: 'published peripherals',
    layout: { field: 'peripherals', version: FORMAT_VERSION },
    isEntry: isPlainObject,
    current,
    whenDamaged: 'set-aside',
    log,
  });
}
