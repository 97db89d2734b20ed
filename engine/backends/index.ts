import type { BackendDefinition } from './backend-definition.js';
import { balenaSupervisorBackend } from './balena/balena-supervisor.js';
import { execBackend } from './exec.js';
import { httpBackend } from './http.js';
import { linkBackend } from './link/link.js';
import { nuvlaboxAgentBackend } from './nuvlabox-agent.js';
import { nuvlaedgeFilesBackend } from './nuvlaedge/nuvlaedge-files.js';
import { stdoutBackend } from './stdout.js';

/**
 * Every backend type the engine has. Adding one: its file (a folder once it has helpers of its
 * own) exporting `defineBackend({...})`, its test `test/backends/<type>.test.ts`, one line here.
 */
export const BACKENDS: readonly BackendDefinition[] = [
  nuvlaboxAgentBackend,
  nuvlaedgeFilesBackend,
  balenaSupervisorBackend,
  stdoutBackend,
  httpBackend,
  execBackend,
  linkBackend,
];

/** The backend type with this name, if any. */
export function backendType(type: string): BackendDefinition | undefined {
  return BACKENDS.find((definition) => definition.type === type);
}

/** Backend names a profile may notify, with their type: the built-ins, or a config file's. */
export type BackendNames = ReadonlyMap<string, BackendDefinition>;

/** The backends that exist without a config file. */
export function builtInBackendNames(): BackendNames {
  const names = new Map<string, BackendDefinition>();
  for (const definition of BACKENDS) if (definition.builtIn) names.set(definition.builtIn.name, definition);
  return names;
}
