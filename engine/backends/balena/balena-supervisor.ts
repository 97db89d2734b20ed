// The `balena-supervisor` backend: each device becomes a balena dependent device (the
// supervisor's "proxyvisor" API, docs/backends/balena-supervisor.md): provisioned once, reported online
// while present and offline when gone, with a log line per lifecycle event; the supervisor's
// hooks are served by balena-hook-server.ts.
import { eventOf } from '../../actions/device-environment.js';
import { programActionSchema } from '../../actions/program-action.js';
import type { WithDefaults } from '../../core/from-schema.js';
import type { JsonSchema } from '../../core/json-schema.js';
import type { Logger } from '../../core/log.js';
import { secrets } from '../../core/secrets.js';
import { withDefaults } from '../../core/with-defaults.js';
import type { ApplyResult, Backend, Change } from '../backend.js';
import { defineBackend, type NotifyOptions } from '../backend-definition.js';
import { BalenaActions } from './balena-actions.js';
import {
  isAnswer,
  isUnknownRoute,
  NO_DEPENDENT_DEVICE_API,
  SupervisorClient,
  type SupervisorExchange,
} from './balena-client.js';
import { BalenaDevices, type BalenaDevice } from './balena-devices.js';
import { BalenaHookServer } from './balena-hook-server.js';
import { retry } from '../shared/http-status.js';

const DEFAULT_HOOK_ADDRESS = 'http://0.0.0.0:1337/v1/devices/';

/** A profile's notify entry for a balena backend: the application, and the hooks' actions. */
const balenaNotifySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['appId'],
  properties: {
    appId: { type: 'integer', minimum: 1, description: 'The dependent application the device belongs to.' },
    deviceType: { type: 'string', minLength: 1, default: 'generic', description: 'balena device type to provision.' },
    onUpdate: {
      ...programActionSchema,
      description:
        'Run when the supervisor sends a new target commit (hook PUT /v1/devices/:uuid), with BALENA_DEVICE_UUID, BALENA_APP_COMMIT, BALENA_DEVICE_ENVIRONMENT and BALENA_DEVICE_CONFIG besides the DEVICE_* facts; on success the commit is reported.',
    },
    onRestart: {
      ...programActionSchema,
      description: 'Run when the supervisor sends a restart (hook PUT /v1/devices/:uuid/restart).',
    },
  },
} as const satisfies JsonSchema;

/** A notify entry as the profile writes it. */
type BalenaNotifyEntry = NotifyOptions<typeof balenaNotifySchema>;
/** Its options with the schema's defaults, filled for each change (the profile keeps its entry as written). */
type BalenaNotify = WithDefaults<typeof balenaNotifySchema>;

export const balenaSupervisorBackend = defineBackend({
  type: 'balena-supervisor',
  description:
    'Provisions and reports balena dependent devices through the supervisor API (supervisor 2.5 - 14.7), and serves its update, delete and restart hooks.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      address: {
        type: 'string',
        pattern: '^https?://',
        description: 'Supervisor address (BALENA_SUPERVISOR_ADDRESS).',
      },
      apiKey: { type: 'string', description: 'Supervisor API key (BALENA_SUPERVISOR_API_KEY); never logged.' },
      apiKeyIn: {
        enum: ['header', 'query'],
        default: 'header',
        description: 'Send the key as `Authorization: ApiKey <key>` or as `?apikey=<key>`.',
      },
      hookAddress: {
        type: 'string',
        pattern: '^https?://',
        default: DEFAULT_HOOK_ADDRESS,
        description: 'Where the engine listens for the supervisor hooks (BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS).',
      },
      hooks: { type: 'boolean', default: true, description: 'Whether to serve the hooks at all.' },
      hookAllowFrom: {
        type: 'array',
        items: { type: 'string', pattern: '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$' },
        default: [],
        description:
          "Addresses or CIDR blocks besides the supervisor's own that may call the hooks (others get 403). Listing one beyond loopback also keeps the hook server on the hook address's wildcard host.",
      },
      requestTimeoutMs: {
        type: 'integer',
        minimum: 100,
        default: 10_000,
        description: 'Timeout of one request to the supervisor.',
      },
    },
  },
  notifySchema: balenaNotifySchema,
  builtIn: {
    name: 'balena',
    environment: {
      BALENA_SUPERVISOR_ADDRESS: 'supervisor address',
      BALENA_SUPERVISOR_API_KEY: 'supervisor API key',
      BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS: `hook address (default ${DEFAULT_HOOK_ADDRESS})`,
    },
    configFrom: (env) => ({
      address: env.BALENA_SUPERVISOR_ADDRESS,
      apiKey: env.BALENA_SUPERVISOR_API_KEY,
      hookAddress: env.BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS || DEFAULT_HOOK_ADDRESS,
    }),
  },
  example: {
    config: { address: 'http://127.0.0.1:48484', apiKey: '${BALENA_SUPERVISOR_API_KEY}' },
    notify: {
      appId: 13015,
      onUpdate: { argv: ['/usr/local/bin/flash-firmware', { var: 'facts.serial.path' }], timeoutMs: 600000 },
    },
  },
  create: (options, context) => {
    const log = context.log.child({ backend: context.name });
    const address = options.address ? options.address.replace(/\/+$/, '') : undefined;
    const apiKey = options.apiKey || undefined;
    // Without a supervisor there is nothing to serve hooks for: no port is opened.
    if (!address || !apiKey)
      return unconfigured([
        ...(address ? [] : ['address (BALENA_SUPERVISOR_ADDRESS)']),
        ...(apiKey ? [] : ['apiKey (BALENA_SUPERVISOR_API_KEY)']),
      ]);
    // The config loader records it already; a backend made without the loader must not leak it either.
    secrets.add([apiKey]);
    const client = new SupervisorClient({
      address,
      apiKey,
      apiKeyIn: options.apiKeyIn,
      requestTimeoutMs: options.requestTimeoutMs,
      log,
    });
    const devices = BalenaDevices.forBackend(context.stateDir, context.name, log);
    const actions = new BalenaActions(devices, client, log);
    const hooks = options.hooks
      ? new BalenaHookServer(
          options.hookAddress,
          { supervisorAddress: address, allowFrom: options.hookAllowFrom },
          devices,
          actions,
          log,
        )
      : undefined;
    return new BalenaBackend(devices, client, actions, hooks, log);
  },
});

/**
 * The supervisor no longer knows the uuid: 404 unknown, 410 deleted in the cloud. A supervisor
 * without the API at all says 404 too, but the uuid is kept then: nothing was forgotten.
 */
const isForgotten = (exchange: SupervisorExchange) =>
  isAnswer(exchange) && (exchange.status === 404 || exchange.status === 410) && !isUnknownRoute(exchange);

/** A supervisor v14.8.0 or later: nothing can be provisioned or reported, whatever is retried. */
const withoutApi = (what: string): ApplyResult => ({
  outcome: 'permanent',
  reason: `${what}: HTTP 404: ${NO_DEPENDENT_DEVICE_API}`,
});

class BalenaBackend implements Backend<BalenaNotifyEntry> {
  constructor(
    private readonly devices: BalenaDevices,
    private readonly client: SupervisorClient,
    private readonly actions: BalenaActions,
    private readonly hooks: BalenaHookServer | undefined,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.devices.load();
    await this.hooks?.start();
  }

  apply(change: Change<BalenaNotifyEntry>, signal: AbortSignal): Promise<ApplyResult> {
    return change.op === 'delete' ? this.reportOffline(change, signal) : this.reportOnline(change, signal);
  }

  async close(): Promise<void> {
    await this.hooks?.close();
    await this.actions.close();
    await this.client.close();
    await this.devices.close();
  }

  /** Provisions the device unless it already has a uuid, then reports it online. */
  private async reportOnline(change: Change<BalenaNotifyEntry>, signal: AbortSignal): Promise<ApplyResult> {
    const { backend: _backend, ...written } = change.notify;
    const notify = withDefaults(balenaNotifySchema, written);
    let device = await this.devices.get(change.identifier);
    if (device && device.appId !== notify.appId) {
      this.log.info(
        'the profile moved the device to another application; reporting the old one offline and provisioning it there',
        { identifier: change.identifier, uuid: device.uuid, from: device.appId, to: notify.appId },
      );
      const left = await this.leaveApplication(change.identifier, device, notify.appId, signal);
      if (left) return left;
      device = undefined;
    }
    // At most twice: once with the uuid on record, once more if the cloud had deleted it.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!device) {
        const provisioned = await this.provision(change, notify, signal);
        if ('outcome' in provisioned) return provisioned;
        device = provisioned;
      }
      const exchange = await this.client.request('PUT', `/v1/devices/${device.uuid}`, signal, {
        is_online: true,
        status: 'Idle',
      });
      if (isUnknownRoute(exchange)) return withoutApi('reporting online');
      if (isForgotten(exchange)) {
        this.log.warn('the supervisor no longer knows the device; provisioning it again', {
          identifier: change.identifier,
          uuid: device.uuid,
          status: (exchange as { status: number }).status,
        });
        await this.devices.forget(change.identifier);
        device = undefined;
        continue;
      }
      const result = this.client.outcomeOf(exchange, 'reporting online');
      if (result.outcome !== 'acknowledged') return result;
      // Read again: a hook may have recorded a target or a commit while the request was out.
      const current = (await this.devices.get(change.identifier)) ?? device;
      await this.devices.put(change.identifier, { ...current, ...this.deviceDetails(change), online: true });
      await this.actions.supervisorLog(device.uuid, `${eventOf(change.op)}: ${change.identifier}`, signal);
      return { outcome: 'acknowledged', remote: { uuid: device.uuid } };
    }
    return retry('the supervisor forgot the device right after provisioning it');
  }

  /**
   * Reports the device of the old application offline, or it would show online there for ever;
   * the record is kept until that is done, so a failure is retried with the same uuid. Returns
   * the result to give up with, or undefined once the old device is offline or gone.
   */
  private async leaveApplication(
    identifier: string,
    device: BalenaDevice,
    newAppId: number,
    signal: AbortSignal,
  ): Promise<ApplyResult | undefined> {
    const exchange = await this.client.request('PUT', `/v1/devices/${device.uuid}`, signal, {
      is_online: false,
      status: 'Offline',
    });
    if (!isForgotten(exchange)) {
      const result = this.client.outcomeOf(exchange, 'reporting the device offline in its old application');
      if (result.outcome !== 'acknowledged') return result;
      await this.actions.supervisorLog(device.uuid, `moved to application ${newAppId}: ${identifier}`, signal);
    }
    await this.devices.forget(identifier);
    return undefined;
  }

  /** `POST /v1/devices`; the uuid is on disk before this returns. */
  private async provision(
    change: Change<BalenaNotifyEntry>,
    notify: BalenaNotify,
    signal: AbortSignal,
  ): Promise<BalenaDevice | ApplyResult> {
    const { deviceType } = notify;
    const exchange = await this.client.request('POST', '/v1/devices', signal, {
      appId: notify.appId,
      device_type: deviceType,
    });
    if (isAnswer(exchange) && exchange.status === 503) {
      // The supervisor turns every cloud error into a 503, a wrong appId included: retried, since
      // the cloud may be down, but the reason says what else it may be.
      const result = this.client.outcomeOf(exchange, 'provisioning');
      return result.outcome === 'retry'
        ? {
            ...result,
            reason: `${result.reason} (the supervisor also answers 503 for an appId the cloud does not know: check appId ${notify.appId} in the profile)`,
          }
        : result;
    }
    // The proxyvisor answers a provisioning with 201, 400 or 503, never 404.
    if (isAnswer(exchange) && exchange.status === 404) return withoutApi('provisioning');
    if (!isAnswer(exchange) || exchange.status !== 201) {
      const result = this.client.outcomeOf(exchange, 'provisioning');
      // A 2xx other than 201 is not what the contract promises: no uuid can be trusted from it.
      return result.outcome === 'acknowledged'
        ? retry(`provisioning: HTTP ${(exchange as { status: number }).status} instead of 201`)
        : result;
    }
    let uuid: unknown;
    try {
      uuid = (JSON.parse(exchange.body) as { uuid?: unknown }).uuid;
    } catch {
      uuid = undefined;
    }
    if (typeof uuid !== 'string' || !/^[A-Za-z0-9]{1,128}$/.test(uuid))
      return retry('provisioning: the supervisor answered 201 without a usable uuid');
    const device: BalenaDevice = {
      uuid,
      appId: notify.appId,
      deviceType,
      ...this.deviceDetails(change),
      online: false,
    };
    await this.devices.put(change.identifier, device);
    this.log.info('balena dependent device provisioned', { identifier: change.identifier, uuid, appId: notify.appId });
    return device;
  }

  /** Reports the device offline; the uuid is kept for when it comes back. */
  private async reportOffline(change: Change, signal: AbortSignal): Promise<ApplyResult> {
    const device = await this.devices.get(change.identifier);
    if (!device) return { outcome: 'acknowledged' };
    const exchange = await this.client.request('PUT', `/v1/devices/${device.uuid}`, signal, {
      is_online: false,
      status: 'Offline',
    });
    if (isForgotten(exchange)) {
      await this.devices.forget(change.identifier);
      return { outcome: 'acknowledged' };
    }
    // Without the API the supervisor shows no dependent device, online or not: nothing to undo.
    if (isUnknownRoute(exchange)) return { outcome: 'acknowledged', remote: { uuid: device.uuid } };
    const result = this.client.outcomeOf(exchange, 'reporting offline');
    if (result.outcome !== 'acknowledged') return result;
    // Read again: a DELETE hook during the request forgot the device, and it stays forgotten.
    const current = await this.devices.get(change.identifier);
    if (current) await this.devices.put(change.identifier, { ...current, online: false });
    await this.actions.supervisorLog(device.uuid, `removed: ${change.identifier}`, signal);
    return { outcome: 'acknowledged', remote: { uuid: device.uuid } };
  }

  /** What the hook server needs to run the profile's actions for this device. */
  private deviceDetails(change: Change<BalenaNotifyEntry>): Partial<BalenaDevice> {
    const notify = change.notify;
    return {
      payload: change.payload,
      ...(change.facts && { facts: change.facts }),
      ...(change.profile && { profile: change.profile }),
      ...(notify.onUpdate && { onUpdate: notify.onUpdate }),
      ...(notify.onRestart && { onRestart: notify.onRestart }),
    };
  }
}

/** A backend that cannot reach a supervisor: every change fails, saying what is missing. */
function unconfigured(missing: string[]): Backend {
  const reason = `not configured: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set`;
  return { apply: async () => ({ outcome: 'permanent', reason }), close: async () => {} };
}
