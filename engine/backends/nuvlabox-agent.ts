import type { BackendDefinition } from './backend-definition.js';

const DEFAULT_URL = 'http://agent/api';

export const nuvlaboxAgentBackend: BackendDefinition = {
  type: 'nuvlabox-agent',
  description:
    'Registers peripherals with the NuvlaBox Agent REST API (NuvlaBox Engine 2020-2023): POST, PUT on change, DELETE on removal.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      url: {
        type: 'string',
        pattern: '^https?://',
        default: DEFAULT_URL,
        description: 'Base URL of the agent API: http://agent/api on its Docker network, http://127.0.0.1:5080/api from the host network.',
      },
      requestTimeoutMs: { type: 'integer', minimum: 100, default: 10000, description: 'Timeout of one request.' },
    },
  },
  notifySchema: { type: 'object', additionalProperties: false, properties: {} },
  builtIn: {
    name: 'nuvlabox',
    environment: { NUVLABOX_AGENT_URL: `agent API base URL (default ${DEFAULT_URL})` },
    configFrom: (env) => ({ url: env.NUVLABOX_AGENT_URL || DEFAULT_URL }),
  },
  example: { config: { url: 'http://127.0.0.1:5080/api' }, notify: {} },
};
