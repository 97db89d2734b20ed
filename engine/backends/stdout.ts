import type { BackendDefinition } from './backend-definition.js';

export const stdoutBackend: BackendDefinition = {
  type: 'stdout',
  description: 'Prints one JSON line per notification on standard output: for trying profiles out and for piping.',
  configSchema: { type: 'object', additionalProperties: false, properties: {} },
  notifySchema: { type: 'object', additionalProperties: false, properties: {} },
  builtIn: { name: 'stdout', environment: {}, configFrom: () => ({}) },
  example: { config: {}, notify: {} },
};
