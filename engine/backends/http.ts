// The `http` backend: any webhook. One request per lifecycle event, its body built by JSON-logic,
// its answer classified like every other HTTP backend's (retry on 408/429/5xx and network errors).
import { eventOf } from '../actions/device-environment.js';
import { evaluateTemplate } from '../map/map-payload.js';
import type { WithDefaults } from '../core/from-schema.js';
import type { JsonSchema } from '../core/json-schema.js';
import type { Logger } from '../core/log.js';
import type { ApplyResult, Backend, Change } from './backend.js';
import { defineBackend, type NotifyOptions } from './backend-definition.js';
import { HttpClient } from './shared/http-client.js';
import { classifyResponse, isAnswer, isJsonAnswer, notTheContract, type HttpAnswer } from './shared/http-status.js';

const DEFAULT_TIMEOUT_MS = 10_000;

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'The request body per event, each a JSON-logic expression (or template object) over `payload`, `identifier`, `event` and `facts`. Default: `{event, identifier, payload}`.',
  properties: {
    added: { description: 'Body sent when the device is added.' },
    changed: { description: 'Body sent when the device is changed.' },
    removed: { description: 'Body sent when the device is removed.' },
  },
  examples: [{ added: { payload: { var: 'payload' } }, removed: { cat: ['gone: ', { var: 'identifier' }] } }],
} as const satisfies JsonSchema;

/** A webhook backend's config entry. */
const httpConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^https?://', description: 'The webhook URL.' },
    method: { enum: ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'], default: 'POST', description: 'The HTTP method.' },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Request headers; use ${ENV} for tokens (never logged).',
    },
    timeoutMs: {
      type: 'integer',
      minimum: 100,
      maximum: 600_000,
      default: DEFAULT_TIMEOUT_MS,
      description: 'Timeout of one request.',
    },
    successStatus: {
      type: 'array',
      minItems: 1,
      items: { type: 'integer', minimum: 100, maximum: 599 },
      description:
        'The statuses that mean success; default any 2xx. Others follow the retry policy (408, 429, 5xx retried; the rest permanent).',
    },
    expectJson: {
      type: 'boolean',
      default: false,
      description:
        'When true, a success answer counts only if its body is complete JSON; anything else (an HTML page, a body cut short) is retried, with a reason saying what came back.',
    },
    body: bodySchema,
  },
} as const satisfies JsonSchema;

/** A profile's notify entry for a webhook backend. */
const httpNotifySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    body: { ...bodySchema, description: `Overrides the config's body per event. ${bodySchema.description}` },
  },
} as const satisfies JsonSchema;

type WebhookConfig = WithDefaults<typeof httpConfigSchema>;
type WebhookNotify = NotifyOptions<typeof httpNotifySchema>;

export const httpBackend = defineBackend({
  type: 'http',
  description:
    'Calls any webhook when a device is added, changed or removed: method, URL, headers and a JSON body built by JSON-logic per event; retried on 408, 429, 5xx and network errors.',
  configSchema: httpConfigSchema,
  notifyLogic: [
    { path: ['body', 'added'], over: 'change' },
    { path: ['body', 'changed'], over: 'change' },
    { path: ['body', 'removed'], over: 'change' },
  ],
  notifySchema: httpNotifySchema,
  example: {
    config: {
      url: 'https://hooks.example.com/devices',
      headers: { authorization: 'Bearer ${HOOK_TOKEN}' },
      successStatus: [200, 201, 204],
    },
    notify: { body: { added: { device: { var: 'payload' }, port: { var: 'facts.serial.path' } } } },
  },
  create: (options, context) => new WebhookBackend(options, context.log.child({ backend: context.name })),
});

class WebhookBackend implements Backend<WebhookNotify> {
  private readonly http: HttpClient;

  constructor(
    private readonly config: WebhookConfig,
    log: Logger,
  ) {
    this.http = new HttpClient({ log, what: 'webhook' });
  }

  async apply(change: Change<WebhookNotify>, signal: AbortSignal): Promise<ApplyResult> {
    const event = eventOf(change.op);
    const data = {
      event,
      identifier: change.identifier,
      payload: change.payload,
      facts: change.facts ?? {},
      profile: change.profile ?? null,
    };
    const template = change.notify.body?.[event] ?? this.config.body?.[event];
    let body: unknown;
    try {
      body =
        template === undefined
          ? { event, identifier: change.identifier, payload: change.payload }
          : evaluateTemplate(template, data);
    } catch (error) {
      return { outcome: 'permanent', reason: `the ${event} body could not be built: ${(error as Error).message}` };
    }
    const exchange = await this.http.exchange({
      url: this.config.url,
      method: this.config.method,
      headers: { 'content-type': 'application/json', ...this.config.headers },
      json: this.config.method === 'GET' ? undefined : body,
      timeoutMs: this.config.timeoutMs,
      signal,
      fields: { event, identifier: change.identifier },
    });
    if (!isAnswer(exchange)) return exchange;
    const result = this.classify(exchange);
    if (result.outcome === 'acknowledged' && this.config.expectJson && !isJsonAnswer(exchange)) {
      return notTheContract(
        exchange,
        'the webhook is configured to answer with JSON (expectJson) and this body is not complete JSON',
      );
    }
    return result;
  }

  /** Waits for the requests under way (the reconciler aborts them at shutdown). */
  close(): Promise<void> {
    return this.http.close();
  }

  /** The configured success statuses win; otherwise the common classification. */
  private classify({ status, headers, body: text }: HttpAnswer): ApplyResult {
    const { successStatus } = this.config;
    if (!successStatus) return classifyResponse(status, headers, text);
    if (successStatus.includes(status)) return { outcome: 'acknowledged' };
    const result = classifyResponse(status, headers, text);
    if (result.outcome !== 'acknowledged') return result;
    return {
      outcome: 'permanent',
      reason: `HTTP ${status} is not one of the success statuses ${successStatus.join(', ')}`,
    };
  }
}
