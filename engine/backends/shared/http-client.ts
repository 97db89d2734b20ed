// Shared by the backends that speak HTTP (nuvlabox-agent, balena-supervisor, http): their one
// HTTP client, on `got`. Its timeouts are got's own timers per phase, which always fire (the
// AbortSignal.timeout they replace could be garbage-collected on Node 20 and leave a request
// hanging for good); its connections are kept alive; redirects are not followed and got never
// retries (the reconciler does, with its backoff); an answer is read as a stream and given up
// past a size cap, so a 100 MB body never sits in memory.
import http, { type IncomingHttpHeaders } from 'node:http';
import { finished } from 'node:stream/promises';
import type { Got, Request } from 'got';
import { builtInModule } from '../../core/built-in-module.js';
import { lazyModule } from '../../core/lazy-module.js';
import type { Logger } from '../../core/log.js';
import { classifyNetworkError, retry, type AnswerHeaders, type HttpExchange } from './http-status.js';

const https = builtInModule('node:https');

/** The largest answer read: an agent, a supervisor or a webhook answers a few hundred bytes. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** One request of an HTTP backend. */
export interface HttpRequest {
  url: string;
  method: string;
  headers?: Record<string, string>;
  /** Sent as JSON (with its content type) when given. */
  json?: unknown;
  /** The longest any phase (connect, send, first byte) and the whole exchange may take. */
  timeoutMs: number;
  /** The engine's own signal: aborting it (at shutdown) is the only way `exchange` rejects. */
  signal: AbortSignal;
  /** What the debug line says about the request, e.g. `{method, path}`; never the URL. */
  fields: Record<string, unknown>;
}

export interface HttpClientOptions {
  log: Logger;
  /** What the debug lines say the requests are for, e.g. `agent`. */
  what: string;
  maxAnswerBytes?: number;
}

/** The size of an answer that is too large, in the words of a reason. */
const sizeText = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MiB` : `${Math.round(bytes / 1024)} KiB`;

/**
 * `got` is loaded once, when the first HTTP client is made (a configured HTTP backend): it is
 * most of what an HTTP backend weighs (about 20 MiB of RSS), and neither `engine validate` nor a
 * daemon whose configuration sends nothing over HTTP needs it. A failed load is kept and each
 * request reports it as a failure to retry.
 */
const loadGot = lazyModule<Got>(async () => (await import('got')).default);

/**
 * Sends a backend's requests over keep-alive connections. `close` waits for the requests under
 * way (the reconciler aborts them first at shutdown) and then closes the idle connections.
 */
export class HttpClient {
  private readonly agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new (https().Agent)({ keepAlive: true }),
  };
  private readonly underWay = new Set<Promise<HttpExchange>>();
  /**
   * got with what every request of this client shares (its connections, no redirects, no
   * retries, answers of any status) merged in once: got merges a request's options into its
   * defaults on every call, and that merge was a sixth of a request's CPU.
   */
  private readonly got: Promise<Got | Error>;
  private readonly timed = new Map<number, Got>();

  constructor(private readonly options: HttpClientOptions) {
    // Started now, so that the first request does not wait for it (and is not longer in flight
    // than the ones after it).
    this.got = loadGot().then((got) =>
      got instanceof Error
        ? got
        : got.extend({ followRedirect: false, retry: { limit: 0 }, throwHttpErrors: false, agent: this.agents }),
    );
  }

  /**
   * One request: its answer read to the end, or the retry a network failure, a timeout, a
   * connection closed mid-answer or an answer over the size cap amounts to.
   */
  exchange(request: HttpRequest): Promise<HttpExchange> {
    const work = this.send(request);
    this.underWay.add(work);
    return work.finally(() => this.underWay.delete(work));
  }

  /**
   * got with every phase's timeout set to `timeoutMs`, made once per value (each backend has
   * one, from its config), so that got does not merge the six timeouts into each request's
   * options.
   */
  private withTimeouts(got: Got, timeoutMs: number): Got {
    let timed = this.timed.get(timeoutMs);
    if (!timed) {
      const phases = ['lookup', 'connect', 'secureConnect', 'send', 'response', 'request'] as const;
      timed = got.extend({ timeout: Object.fromEntries(phases.map((phase) => [phase, timeoutMs])) });
      this.timed.set(timeoutMs, timed);
    }
    return timed;
  }

  async close(): Promise<void> {
    while (this.underWay.size > 0) await Promise.allSettled([...this.underWay]);
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async send(request: HttpRequest): Promise<HttpExchange> {
    const { signal, fields, timeoutMs } = request;
    const { log, what } = this.options;
    const maxBytes = this.options.maxAnswerBytes ?? MAX_ANSWER_BYTES;
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const failed = (failure: ReturnType<typeof retry>) => {
      log.debug(`${what} request failed`, { ...fields, reason: failure.reason, ms: ms() });
      return failure;
    };
    const got = await this.got;
    if (signal.aborted) throw signal.reason;
    if (got instanceof Error) return failed(retry(`the HTTP client (got) could not be loaded: ${got.message}`));
    const stream: Request = this.withTimeouts(got, timeoutMs).stream(request.url, {
      method: request.method as 'GET',
      headers: { ...(request.json !== undefined && { 'content-type': 'application/json' }), ...request.headers },
      ...(request.json !== undefined && { body: JSON.stringify(request.json) }),
    });
    // The reading below sees every error of the exchange; one emitted after it (got's own signal
    // handling destroys even a finished request) must not become an uncaught exception, so the
    // engine's signal is wired here, for exactly the time of the exchange.
    stream.on('error', () => undefined);
    // In stream mode got waits for the caller to end a body it was not given (DELETE, PUT).
    if (request.json === undefined && request.method !== 'GET' && request.method !== 'HEAD') stream.end();
    const abort = () => stream.destroy();
    signal.addEventListener('abort', abort, { once: true });
    // Read with `data` events and one promise for the end, not an async iterator, which makes
    // promises per chunk (34 ms of the engine's CPU in a profile of a 1,000-device burst).
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    stream.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        stream.destroy();
      } else chunks.push(chunk);
    });
    try {
      await finished(stream, { writable: false });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!tooLarge) return failed(classifyNetworkError(error));
    } finally {
      signal.removeEventListener('abort', abort);
    }
    if (tooLarge)
      return failed(
        retry(
          `the answer is larger than ${sizeText(maxBytes)} (HTTP ${stream.response?.statusCode ?? '?'}); not read further`,
        ),
      );
    const response = stream.response!;
    log.debug(`${what} request`, { ...fields, status: response.statusCode, ms: ms() });
    return {
      status: response.statusCode,
      headers: answerHeaders(response.headers),
      body: Buffer.concat(chunks).toString('utf8'),
    };
  }
}

/**
 * The answer's headers as Node read them (names in lower case), without copying them into a
 * fetch `Headers`: that class loads Node's fetch implementation (undici) at the first answer, tens
 * of milliseconds in the middle of a burst, and checks every header it is given.
 */
function answerHeaders(raw: IncomingHttpHeaders): AnswerHeaders {
  return {
    get: (name) => {
      const value = raw[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };
}
