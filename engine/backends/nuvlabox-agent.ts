import type { Logger } from '../core/log.js';
import type { ApplyResult, Backend, Change, Payload } from './backend.js';
import { defineBackend } from './backend-definition.js';
import {
  isAlreadyRegistered,
  isLostInNuvla,
  isNotFound,
  outcomeOf,
  staleFieldsOfAdoption,
} from './nuvlabox-agent-answers.js';
import { HttpClient } from './shared/http-client.js';
import { isAnswer, notTheContract, parseRetryAfter, retry, type HttpExchange } from './shared/http-status.js';
import { nuvlaboxPeripheralSchema, withoutBlanks } from './shared/nuvlabox-peripheral.js';

const DEFAULT_URL = 'http://agent/api';

/** The `nuvlabox-agent` backend type: the NuvlaBox Agent's peripheral REST API. */
export const nuvlaboxAgentBackend = defineBackend({
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
        description:
          'Base URL of the agent API: http://agent/api on its Docker network, http://127.0.0.1:5080/api from the host network.',
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
  documentSchema: nuvlaboxPeripheralSchema,
  document: withoutBlanks,
  create: (options, context) =>
    new NuvlaboxAgentClient(
      { ...options, url: options.url.replace(/\/+$/, '') },
      context.log.child({ backend: context.name }),
    ),
});

/**
 * The agent stores each peripheral in a file named after its identifier and sanitises nothing
 * (docs/backends/nuvlabox-agent.md), so only these characters are ever sent; `@` comes from the default
 * identifiers (`vid:pid@port`).
 */
const SAFE_IDENTIFIER = /^[A-Za-z0-9._:@-]+$/;

/** Why the agent must not be sent this change, or undefined when it may. */
function identifierProblem(change: Change): string | undefined {
  const { identifier, payload } = change;
  if (!SAFE_IDENTIFIER.test(identifier) || identifier === '.' || identifier === '..') {
    return `identifier ${JSON.stringify(identifier)} is unsafe for the agent, which uses it as a file name: only [A-Za-z0-9._:@-] are allowed`;
  }
  if (payload['identifier'] !== undefined && payload['identifier'] !== identifier) {
    return `the payload's identifier differs from the change's (${JSON.stringify(identifier)})`;
  }
  return undefined;
}

/**
 * The agent holds an identifier this engine never sent it: another manager's registration.
 * It is left alone, neither overwritten nor deleted, and looked at again later.
 */
const foreign = (identifier: string): ApplyResult => ({
  outcome: 'conflict',
  reason: `the agent already holds ${JSON.stringify(identifier)}, registered by someone else; it is left untouched until it goes`,
});

/**
 * How many older Nuvla peripherals under one identifier an attempt deletes (two requests each)
 * before it leaves the rest for the next change.
 */
const MAX_ADOPTIONS = 3;

/** The peripheral's entry moved under us (deleted or created by someone else): try again. */
const raced = (): ApplyResult => retry("the agent's entry changed during the request");

/**
 * The fields of a document as sent, kept with its acknowledgement (`remote.fields`): the agent's
 * PUT merges, so the next change must know which fields it would leave behind.
 */
const fieldsOf = (payload: Payload): string[] => Object.keys(payload).sort();

/** Fields the agent holds from the last acknowledged document that the new one no longer has. */
function removedFields(change: Change): string[] {
  const held = change.remote?.['fields'];
  if (!Array.isArray(held)) return [];
  return held.filter((field): field is string => typeof field === 'string' && !(field in change.payload));
}

/** An acknowledgement that records which fields the agent now holds. */
function withFields(result: ApplyResult, payload: Payload): ApplyResult {
  return result.outcome === 'acknowledged'
    ? { outcome: 'acknowledged', remote: { fields: fieldsOf(payload) } }
    : result;
}

/**
 * Delivers changes to one agent: POST to register, PUT to update, DELETE to remove, each
 * falling back to the other verb when the agent's state disagrees with the engine's.
 */
class NuvlaboxAgentClient implements Backend {
  /** False until a healthcheck passes, and again after any network failure. */
  private healthy = false;
  private readonly inFlight = new Set<Promise<ApplyResult>>();
  private readonly http: HttpClient;

  constructor(
    /** The options, the URL without a trailing slash. */
    private readonly config: { url: string; requestTimeoutMs: number },
    private readonly log: Logger,
  ) {
    this.http = new HttpClient({ log, what: 'agent' });
  }

  async apply(change: Change, signal: AbortSignal): Promise<ApplyResult> {
    const problem = identifierProblem(change);
    if (problem) return { outcome: 'permanent', reason: problem };
    const work = this.deliver(change, signal);
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  async close(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.http.close();
  }

  private async deliver(change: Change, signal: AbortSignal): Promise<ApplyResult> {
    const unhealthy = await this.checkHealth(signal);
    if (unhealthy) return unhealthy;
    if (change.op === 'create') return this.register(change, signal, true);
    if (change.op === 'update') return this.update(change, signal, true);
    return this.remove(change, signal);
  }

  /** A retry while the agent is not known to be up; undefined once it answers its healthcheck. */
  private async checkHealth(signal: AbortSignal): Promise<ApplyResult | undefined> {
    if (this.healthy) return undefined;
    const exchange = await this.request('GET', '/healthcheck', signal);
    if (!isAnswer(exchange)) return exchange;
    if (exchange.status === 200) {
      if (exchange.body.trim() !== 'true')
        return notTheContract(exchange, 'this is not the NuvlaBox agent (its healthcheck answers true)');
      this.healthy = true;
      return undefined;
    }
    return retry(`agent not healthy (HTTP ${exchange.status})`, parseRetryAfter(exchange.headers.get('retry-after')));
  }

  private async register(change: Change, signal: AbortSignal, mayFallBack: boolean): Promise<ApplyResult> {
    const exchange = await this.request('POST', '/peripheral', signal, change.payload);
    if (!isAlreadyRegistered(exchange)) return this.registered(change, exchange, signal, MAX_ADOPTIONS);
    // Only an identifier this engine may have registered itself (its POST landed, then the
    // answer was lost) is taken as its own and updated.
    if (change.firstAttempt) return foreign(change.identifier);
    return mayFallBack ? this.update(change, signal, false) : raced();
  }

  /**
   * PUT, which merges: when the new document drops fields the agent holds, the peripheral is
   * registered anew instead, or the dropped fields would stay in Nuvla for ever. A 404 means
   * the agent has no such peripheral, or (its local copy surviving) Nuvla no longer has it;
   * agent 2.0.0 says the latter with its HTML 500 page.
   */
  private async update(change: Change, signal: AbortSignal, mayFallBack: boolean): Promise<ApplyResult> {
    const removed = removedFields(change);
    if (removed.length > 0) {
      this.log.info(
        'fields removed from the document; registering the peripheral anew (its Nuvla resource id changes)',
        { identifier: change.identifier, removed },
      );
      return this.reRegister(change, signal, MAX_ADOPTIONS);
    }
    const exchange = await this.request('PUT', peripheralPath(change.identifier), signal, change.payload);
    if (isLostInNuvla(exchange)) {
      this.log.info("the agent cannot edit its copy (agent 2.0.0's answer once Nuvla lost it); registering it anew", {
        identifier: change.identifier,
      });
      return this.reRegister(change, signal, MAX_ADOPTIONS);
    }
    if (!isNotFound(exchange)) return withFields(outcomeOf('PUT', exchange), change.payload);
    if (!mayFallBack) return this.reRegister(change, signal, MAX_ADOPTIONS);
    // Not on the agent at all, or deleted in Nuvla behind its local copy: POST tells which.
    const posted = await this.request('POST', '/peripheral', signal, change.payload);
    return isAlreadyRegistered(posted)
      ? this.reRegister(change, signal, MAX_ADOPTIONS)
      : this.registered(change, posted, signal, MAX_ADOPTIONS);
  }

  /**
   * DELETE then POST. The agent removes its local copy on DELETE even when Nuvla no longer has
   * the peripheral, which is the only way to register one again that was deleted in Nuvla, and
   * the only way to remove fields. Two requests per round: a POST that still finds an entry was
   * raced, and is retried later.
   */
  private async reRegister(change: Change, signal: AbortSignal, adoptionsLeft: number): Promise<ApplyResult> {
    const deleted = await this.request('DELETE', peripheralPath(change.identifier), signal);
    if (!isNotFound(deleted)) {
      const result = outcomeOf('DELETE', deleted);
      if (result.outcome !== 'acknowledged') return result;
    }
    const exchange = await this.request('POST', '/peripheral', signal, change.payload);
    return isAlreadyRegistered(exchange) ? raced() : this.registered(change, exchange, signal, adoptionsLeft - 1);
  }

  /**
   * The result of a POST that was not refused as "already registered". When the agent adopted
   * an older Nuvla peripheral that has fields this document lacks, it is registered anew (its
   * resource id changes), at most `adoptionsLeft` more times: each round deletes one old
   * document, and Nuvla may hold several under the identifier. Past that, the fields are
   * recorded as held, so the next change removes them.
   */
  private async registered(
    change: Change,
    exchange: HttpExchange,
    signal: AbortSignal,
    adoptionsLeft: number,
  ): Promise<ApplyResult> {
    const result = withFields(outcomeOf('POST', exchange), change.payload);
    const stale = result.outcome === 'acknowledged' ? staleFieldsOfAdoption(exchange, change.payload) : [];
    if (stale.length === 0) return result;
    if (adoptionsLeft > 0) {
      this.log.info(
        'the agent adopted an older Nuvla peripheral with fields this document does not have; registering it anew (its Nuvla resource id changes)',
        { identifier: change.identifier, stale },
      );
      return this.reRegister(change, signal, adoptionsLeft);
    }
    this.log.warn('Nuvla still holds older peripherals under this identifier; their fields go at the next change', {
      identifier: change.identifier,
      stale,
    });
    return { outcome: 'acknowledged', remote: { fields: [...fieldsOf(change.payload), ...stale].sort() } };
  }

  /** Gone is gone: the agent's 404 means there is nothing left to remove. */
  private async remove(change: Change, signal: AbortSignal): Promise<ApplyResult> {
    const exchange = await this.request('DELETE', peripheralPath(change.identifier), signal);
    return isNotFound(exchange) ? { outcome: 'acknowledged' } : outcomeOf('DELETE', exchange);
  }

  /**
   * One request under the base URL. A network failure becomes a retry and makes the next change
   * wait for a healthcheck; only the engine's own `signal` aborting makes it reject.
   */
  private async request(method: string, path: string, signal: AbortSignal, payload?: Payload): Promise<HttpExchange> {
    const exchange = await this.http.exchange({
      url: `${this.config.url}${path}`,
      method,
      json: payload,
      timeoutMs: this.config.requestTimeoutMs,
      signal,
      fields: { method, path },
    });
    if (!isAnswer(exchange)) this.healthy = false;
    return exchange;
  }
}

function peripheralPath(identifier: string): string {
  return `/peripheral/${encodeURIComponent(identifier)}`;
}
