import type { BackendDefinition } from './backend-definition.js';

export const balenaSupervisorBackend: BackendDefinition = {
  type: 'balena-supervisor',
  description:
    'Provisions and reports balena dependent devices through the supervisor API (supervisor 2.5 - 14.7).',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      address: { type: 'string', pattern: '^https?://', description: 'Supervisor address (BALENA_SUPERVISOR_ADDRESS).' },
      apiKey: { type: 'string', description: 'Supervisor API key (BALENA_SUPERVISOR_API_KEY); never logged.' },
      apiKeyIn: {
        enum: ['header', 'query'],
        default: 'header',
        description: 'Send the key as `Authorization: ApiKey <key>` or as `?apikey=<key>`.',
      },
      hookAddress: {
        type: 'string',
        pattern: '^https?://',
        default: 'http://0.0.0.0:1337/v1/devices/',
        description: 'Where the engine listens for the supervisor hooks (BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS).',
      },
    },
  },
  notifySchema: {
    type: 'object',
    additionalProperties: false,
    required: ['appId'],
    properties: {
      appId: { type: 'integer', minimum: 1, description: 'The dependent application the device belongs to.' },
      deviceType: { type: 'string', minLength: 1, default: 'generic', description: 'balena device type to provision.' },
    },
  },
  builtIn: {
    name: 'balena',
    environment: {
      BALENA_SUPERVISOR_ADDRESS: 'supervisor address',
      BALENA_SUPERVISOR_API_KEY: 'supervisor API key',
      BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS: 'hook address (default http://0.0.0.0:1337/v1/devices/)',
    },
    configFrom: (env) => ({
      address: env.BALENA_SUPERVISOR_ADDRESS,
      apiKey: env.BALENA_SUPERVISOR_API_KEY,
      hookAddress: env.BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS || 'http://0.0.0.0:1337/v1/devices/',
    }),
  },
  example: { config: { address: 'http://127.0.0.1:48484', apiKey: '${BALENA_SUPERVISOR_API_KEY}' }, notify: { appId: 13015 } },
};
