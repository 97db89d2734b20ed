// Requests to the balena supervisor API (docs/backends/balena-supervisor.md), authenticated with its API
// key. The key travels in a header by default, or as `?apikey=` when configured; it is a secret
// of the process (core/secrets.ts), removed from every reason and log line whichever way it travels.
import type { Logger } from '../../core/log.js';
import { redactSecrets } from '../../core/secrets.js';
import type { ApplyResult } from '../backend.js';
import { HttpClient } from '../shared/http-client.js';
import { classifyResponse, isAnswer, isJsonAnswer, notTheContract, type HttpExchange } from '../shared/http-status.js';

/**
 * Why a supervisor answers 404 to its dependent-device routes: it has none. The proxyvisor was
 * removed in supervisor v14.8.0; since then `/v1/devices` is an unknown route, answered (after
 * the key is checked) with Express's own page, `Cannot POST /v1/devices`.
 */
export const NO_DEPENDENT_DEVICE_API =
  'this supervisor has no dependent-device API: supervisors 2.5 to 14.7 have it, v14.8.0 (February 2023) removed it. ' +
  'On current balenaOS, give containers a stable device path with the link backend, run programs with exec, ' +
  'or notify your own service with the http backend (docs/backends/balena-supervisor.md)';

/**
 * Whether an answer is an unknown route's 404: Express's page naming the method and path. The
 * proxyvisor's own 404s (an unknown uuid) are a bare `Device not found`.
 */
export function isUnknownRoute(exchange: HttpExchange): boolean {
  return isAnswer(exchange) && exchange.status === 404 && /Cannot [A-Z]+ \/v1\/devices/.test(exchange.body);
}

/** What one request to the supervisor gave. */
export type SupervisorExchange = HttpExchange;

export { isAnswer };

export interface SupervisorClientOptions {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:48484`. */
  address: string;
  apiKey: string;
  apiKeyIn: 'header' | 'query';
  requestTimeoutMs: number;
  log: Logger;
}

export class SupervisorClient {
  private readonly http: HttpClient;

  constructor(private readonly options: SupervisorClientOptions) {
    this.http = new HttpClient({ log: options.log, what: 'supervisor' });
  }

  /** Waits for the requests under way (the reconciler aborts them at shutdown). */
  close(): Promise<void> {
    return this.http.close();
  }

  /**
   * One request under the supervisor's address. A network failure becomes a retry; only the
   * engine's own `signal` aborting makes it reject.
   */
  async request(method: string, path: string, signal: AbortSignal, body?: unknown): Promise<SupervisorExchange> {
    const { address, apiKey, apiKeyIn, requestTimeoutMs } = this.options;
    const url = apiKeyIn === 'query' ? `${address}${path}?apikey=${encodeURIComponent(apiKey)}` : `${address}${path}`;
    const headers: Record<string, string> = apiKeyIn === 'header' ? { authorization: `ApiKey ${apiKey}` } : {};
    return this.http.exchange({
      url,
      method,
      headers,
      json: body,
      timeoutMs: requestTimeoutMs,
      signal,
      fields: { method, path },
    });
  }

  /**
   * The ApplyResult of an exchange no caller handled: 401 says the key is wrong and nothing but a
   * new configuration helps; the rest as for every HTTP backend (503 retried). Reasons redacted.
   */
  outcomeOf(exchange: SupervisorExchange, what: string): ApplyResult {
    if (!isAnswer(exchange)) return { ...exchange, reason: `${what}: ${exchange.reason}` };
    if (exchange.status === 401)
      return {
        outcome: 'permanent',
        reason: `${what}: HTTP 401: the supervisor refused the API key (BALENA_SUPERVISOR_API_KEY)`,
      };
    const result = classifyResponse(exchange.status, exchange.headers, exchange.body);
    // The supervisor answers JSON; a proxy's page is no acknowledgement.
    if (result.outcome === 'acknowledged' && isJsonAnswer(exchange)) return result;
    const failed =
      result.outcome === 'acknowledged'
        ? notTheContract(exchange, 'this is not the balena supervisor (its answers are JSON)')
        : result;
    return { ...failed, reason: redactSecrets(`${what}: ${failed.reason}`) };
  }
}
