import type { Backend, Change } from './backend.js';
import { defineBackend } from './backend-definition.js';

/** The `stdout` backend type. */
export const stdoutBackend = defineBackend({
  type: 'stdout',
  description: 'Prints one JSON line per notification on standard output: for trying profiles out and for piping.',
  configSchema: { type: 'object', additionalProperties: false, properties: {} },
  notifySchema: { type: 'object', additionalProperties: false, properties: {} },
  builtIn: { name: 'stdout', environment: {}, configFrom: () => ({}) },
  example: { config: {}, notify: {} },
  create: () => createStdoutBackend(),
});

/** Writes one JSON line per change; `write` is standard output unless a test passes its own. */
export function createStdoutBackend(write: (line: string) => void = (line) => process.stdout.write(line)): Backend {
  return {
    apply: async (change: Change) => {
      write(
        `${JSON.stringify({ at: new Date().toISOString(), op: change.op, identifier: change.identifier, payload: change.payload })}\n`,
      );
      return { outcome: 'acknowledged' };
    },
    close: async () => {},
  };
}
