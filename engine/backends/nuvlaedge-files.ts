import type { BackendDefinition } from './backend-definition.js';

const DEFAULT_ROOT = '/var/lib/nuvlaedge';

export const nuvlaedgeFilesBackend: BackendDefinition = {
  type: 'nuvlaedge-files',
  description:
    'Publishes the whole set of peripherals as snapshot files for the NuvlaEdge agent (NuvlaEdge 2.11+ file broker).',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      root: {
        type: 'string',
        pattern: '^/',
        default: DEFAULT_ROOT,
        description: 'The NuvlaEdge shared volume (older installations: /srv/nuvlaedge/shared).',
      },
      managerName: {
        type: 'string',
        pattern: '^[a-z0-9][a-z0-9-]*$',
        default: 'engine',
        description: 'Folder under <root>/.peripherals/ this engine publishes in.',
      },
    },
  },
  notifySchema: { type: 'object', additionalProperties: false, properties: {} },
  builtIn: {
    name: 'nuvlaedge',
    environment: { NUVLAEDGE_ROOT: `the shared volume (default ${DEFAULT_ROOT})` },
    configFrom: (env) => ({ root: env.NUVLAEDGE_ROOT || DEFAULT_ROOT }),
  },
  example: { config: { root: '/var/lib/nuvlaedge', managerName: 'engine' }, notify: {} },
};
