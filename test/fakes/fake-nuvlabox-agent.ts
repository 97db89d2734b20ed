// A fake NuvlaBox Agent peripheral API (docs/backends/nuvlabox-agent.md, "How the real one
// behaves": agent 2.9.6 by default, 2.0.0 on request) served over real HTTP, so a backend is
// tested through its actual sockets, status codes and retries, and a test can make the agent
// fail, stall, vanish and come back. Behind the agent's local copies sits a stand-in Nuvla: a
// peripheral can be deleted there (as in the UI) while the agent's local file survives, and a
// POST adopts a Nuvla peripheral it finds, answering with the edited document.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { answering } from './answering.js';
import {
  caught,
  error,
  forwarded,
  globToRegex,
  isObject,
  notFound,
  parseJson,
  readBody,
  schemaViolation,
  unhandled,
  type Reply,
} from './fake-nuvlabox-replies.js';

/** A peripheral document as the agent stores it: the client's fields plus `parent` and `version`. */
export type PeripheralDocument = Record<string, unknown>;

/** One request the fake received, in arrival order. */
export interface LoggedRequest {
  method: string;
  /** The request target as sent: path and query string, still percent-encoded. */
  path: string;
  /** The parsed JSON body; the raw text when it was not JSON; `undefined` when empty. */
  body: unknown;
  /** The status answered; `0` when the fake was `down` and dropped the connection. */
  status: number;
  /** `Date.now()` when the request arrived. */
  at: number;
}

/** How to start a fake agent. */
export interface FakeAgentOptions {
  /** Port on 127.0.0.1; `0` (the default) picks a free one. Pass an old port to "restart". */
  port?: number;
  /** Peripherals the agent already holds at start, keyed by identifier (copied, not shared). */
  initial?: Record<string, PeripheralDocument>;
  /** The uuid in `parent: nuvlabox/<uuid>`; random by default. */
  nuvlaboxId?: string;
  /**
   * Peripherals Nuvla already holds for this NuvlaBox without a local copy on the agent (left by
   * an earlier installation), keyed by identifier: a POST of the same identifier adopts them.
   */
  inNuvla?: Record<string, PeripheralDocument>;
  /**
   * Which agent's answers to a peripheral deleted in Nuvla behind its local copy: `2.9.6` (the
   * default) forwards Nuvla's 404 to a PUT and answers the DELETE that clears the copy with the
   * plain string `Deleted <identifier>`; `2.0.0` answers that PUT with Flask's HTML 500 page (its
   * handler for Nuvla's 404 covers DELETE only) and that DELETE with `{"message": ...}`.
   */
  version?: AgentVersion;
}

export type AgentVersion = '2.9.6' | '2.0.0';

/** A peripheral as the stand-in Nuvla holds it. */
export interface NuvlaPeripheral {
  /** `nuvlabox-peripheral/<uuid>`. */
  id: string;
  document: PeripheralDocument;
}

/**
 * A running fake agent. Everything but `url`, `port` and `close` is a control or a record a test
 * may read or change at any moment; changes apply to the next request.
 */
export interface FakeAgent {
  /** Base URL, e.g. `http://127.0.0.1:40123/api`. */
  readonly url: string;
  readonly port: number;
  /** The agent's local copies, identifier → stored document. Tests may inspect or seed it. */
  readonly peripherals: Map<string, PeripheralDocument>;
  /** What Nuvla holds, identifier → resource: what a user sees in the Nuvla UI. */
  readonly nuvla: Map<string, NuvlaPeripheral>;
  /**
   * When false, Nuvla cannot be reached: a POST fails with an unhandled exception (a 500 with
   * Flask's HTML page), a PUT or DELETE with the agent's own JSON 500.
   */
  nuvlaReachable: boolean;
  readonly requests: LoggedRequest[];
  /** When true, every connection is destroyed without an answer, like an agent that is gone. */
  down: boolean;
  /** `GET /api/healthcheck` answers `200 true` only while healthy, `503` otherwise. */
  healthy: boolean;
  /** Milliseconds to wait before answering any request. */
  delayMs: number;
  /** Called as each request has been read, before it is answered: the client is waiting for it. */
  onRequest: ((request: LoggedRequest) => void) | undefined;
  /** Sent as `Retry-After` on every 503 the fake answers, when set. */
  retryAfter: number | string | undefined;
  /** Answers the next `count` requests under `/api/peripheral` with `status` and `{"error": ...}`. */
  failNext(count: number, status?: number, error?: string): void;
  /** Deletes a peripheral in Nuvla only, as a user does in the UI: the agent's local copy stays. */
  deleteInNuvla(identifier: string): void;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

class FakeNuvlaboxAgent implements FakeAgent {
  url = '';
  port = 0;
  readonly peripherals = new Map<string, PeripheralDocument>();
  readonly nuvla = new Map<string, NuvlaPeripheral>();
  readonly requests: LoggedRequest[] = [];
  nuvlaReachable = true;
  down = false;
  healthy = true;
  delayMs = 0;
  onRequest: ((request: LoggedRequest) => void) | undefined = undefined;
  retryAfter: number | string | undefined = undefined;
  private failures = { count: 0, status: 500, error: 'injected failure' };

  constructor(
    readonly server: http.Server,
    readonly parent: string,
    readonly version: AgentVersion,
  ) {}

  failNext(count: number, status = 500, error = `injected ${status} failure`): void {
    this.failures = { count, status, error };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  deleteInNuvla(identifier: string): void {
    this.nuvla.delete(identifier);
  }

  /** Initial peripherals are both on the agent and in Nuvla; `inNuvla` ones in Nuvla only. */
  seed(initial: Record<string, PeripheralDocument>, inNuvla: Record<string, PeripheralDocument>): void {
    for (const [identifier, document] of Object.entries(initial)) {
      const stored = { parent: this.parent, version: 2, ...structuredClone(document) };
      this.peripherals.set(identifier, stored);
      this.nuvla.set(identifier, { id: `nuvlabox-peripheral/${randomUUID()}`, document: structuredClone(stored) });
    }
    for (const [identifier, document] of Object.entries(inNuvla)) {
      this.nuvla.set(identifier, {
        id: `nuvlabox-peripheral/${randomUUID()}`,
        document: { parent: this.parent, version: 2, ...structuredClone(document) },
      });
    }
  }

  async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const entry: LoggedRequest = {
      method: request.method ?? '',
      path: request.url ?? '',
      body: undefined,
      status: 0,
      at: Date.now(),
    };
    this.requests.push(entry);
    if (this.down) {
      request.socket.destroy();
      return;
    }
    const raw = await readBody(request);
    const parsed = parseJson(raw);
    entry.body = parsed.ok ? parsed.value : raw;
    this.onRequest?.(entry);
    if (this.delayMs > 0) await sleep(this.delayMs);
    // Malformed JSON reaches the routes as "no body", which POST and PUT answer with a 400.
    const reply = this.route(entry.method, entry.path, parsed.ok ? parsed.value : undefined);
    entry.status = reply.status;
    const headers: http.OutgoingHttpHeaders = {
      'content-type': reply.html ? 'text/html; charset=utf-8' : 'application/json',
    };
    if (reply.status === 503 && this.retryAfter !== undefined) headers['retry-after'] = String(this.retryAfter);
    response.writeHead(reply.status, headers).end(reply.html ? String(reply.body) : JSON.stringify(reply.body));
  }

  private route(method: string, target: string, body: unknown): Reply {
    const url = new URL(target, 'http://agent');
    if (url.pathname === '/api/healthcheck' && method === 'GET') {
      return this.healthy ? { status: 200, body: true } : error(503, 'NuvlaBox Agent is not ready');
    }
    if (url.pathname !== '/api/peripheral' && !url.pathname.startsWith('/api/peripheral/'))
      return error(404, 'Not found');
    if (this.failures.count > 0) {
      this.failures.count -= 1;
      return error(this.failures.status, this.failures.error);
    }
    if (url.pathname === '/api/peripheral') {
      if (method === 'GET') return this.search(url.searchParams);
      if (method === 'POST') return this.register(body);
      return error(404, 'Not found');
    }
    const identifier = this.identifierIn(url.pathname);
    if (identifier === undefined) return error(404, 'Not found');
    if (method === 'GET') return this.read(identifier);
    if (method === 'PUT') return this.update(identifier, body);
    if (method === 'DELETE') return this.remove(identifier);
    return error(404, 'Not found');
  }

  /** Flask decodes the path before routing, so `%2F` is a `/` and matches no peripheral route. */
  private identifierIn(pathname: string): string | undefined {
    const match = /^\/api\/peripheral\/([^/]+)$/.exec(pathname);
    if (!match?.[1]) return undefined;
    try {
      const identifier = decodeURIComponent(match[1]);
      return identifier.includes('/') ? undefined : identifier;
    } catch {
      return undefined;
    }
  }

  /**
   * The agent checks only `identifier` itself; the schema check is Nuvla's, forwarded as 400.
   * Without a local copy, a peripheral Nuvla already has under the identifier is adopted: the
   * agent searches Nuvla for it and edits it with the new document instead of creating another,
   * and answers 201 with what Nuvla's edit returns, the whole edited document, plus its
   * `resource-id`. Nuvla's edit merges, so fields of the old document the new one lacks stay.
   */
  private register(body: unknown): Reply {
    if (!isObject(body)) return error(400, 'Payload malformed: it must be a JSON object');
    const identifier = body['identifier'];
    if (typeof identifier !== 'string' || identifier.trim() === '') return error(400, 'Peripheral identifier missing');
    if (this.peripherals.has(identifier)) {
      return error(400, `Peripheral ${identifier} file already registered. Please delete it first`);
    }
    if (!this.nuvlaReachable) return unhandled();
    const stored = { ...body, parent: this.parent, version: 2 };
    const existing = this.nuvla.get(identifier);
    if (existing) return this.adopt(existing, stored);
    const violation = schemaViolation(body);
    if (violation) return violation;
    const resourceId = `nuvlabox-peripheral/${randomUUID()}`;
    this.nuvla.set(identifier, { id: resourceId, document: structuredClone(stored) });
    this.peripherals.set(identifier, stored);
    return { status: 201, body: { status: 201, message: `${resourceId} created`, 'resource-id': resourceId } };
  }

  /** The edit of an existing Nuvla peripheral that a POST without a local copy makes. */
  private adopt(resource: NuvlaPeripheral, stored: PeripheralDocument): Reply {
    const { parent: _parent, version: _version, ...oldFields } = resource.document;
    const { parent: _p, version: _v, ...newFields } = stored;
    const violation = schemaViolation({ ...oldFields, ...newFields });
    if (violation) return violation;
    resource.document = { ...resource.document, ...structuredClone(stored) };
    this.peripherals.set(String(stored['identifier']), stored);
    const edited = {
      ...resource.document,
      id: resource.id,
      'resource-type': 'nuvlabox-peripheral',
      created: '2021-04-01T10:00:00.000Z',
      updated: new Date().toISOString(),
      acl: { owners: [this.parent] },
    };
    return { status: 201, body: { ...edited, 'resource-id': resource.id } };
  }

  /** Searches local copies only; `parameter` without `value` matches nothing. */
  private search(query: URLSearchParams): Reply {
    const pattern = query.get('identifier_pattern');
    const parameter = query.get('parameter');
    const value = query.get('value');
    const matcher = pattern === null ? undefined : globToRegex(pattern);
    const found: Record<string, PeripheralDocument> = {};
    for (const [identifier, document] of this.peripherals) {
      if (matcher && !matcher.test(identifier)) continue;
      if (parameter !== null && (value === null || document[parameter] !== value)) continue;
      found[identifier] = document;
    }
    return { status: 200, body: found };
  }

  private read(identifier: string): Reply {
    const document = this.peripherals.get(identifier);
    return document ? { status: 200, body: document } : notFound();
  }

  /**
   * PUT merges, into the local copy and into Nuvla: a field missing from the body stays. Nuvla
   * validates the edited document as a whole, so the merge is checked before it is kept. For a
   * peripheral deleted in Nuvla the local copy stays, and 2.9.6 forwards Nuvla's 404 while 2.0.0
   * fails unpacking its handler's missing result: Flask's HTML 500.
   */
  private update(identifier: string, body: unknown): Reply {
    const stored = this.peripherals.get(identifier);
    if (!stored) return notFound();
    if (!isObject(body)) return error(400, 'Payload malformed: it must be a JSON object');
    if (!this.nuvlaReachable) return caught(identifier);
    const resource = this.nuvla.get(identifier);
    if (!resource) return this.version === '2.0.0' ? unhandled() : forwarded(404, `${identifier} not found`);
    const { parent: _parent, version: _version, ...clientFields } = resource.document;
    const violation = schemaViolation({ ...clientFields, ...body });
    if (violation) return violation;
    resource.document = { ...resource.document, ...structuredClone(body) };
    const updated = { ...stored, ...body };
    this.peripherals.set(identifier, updated);
    return { status: 200, body: updated };
  }

  /**
   * Nuvla's answer is forwarded; when Nuvla has already lost the peripheral the local copy is
   * still removed (DELETE is how a stale local file is cleared), with the agent's own message:
   * a plain string from 2.9.6, a JSON object from 2.0.0.
   */
  private remove(identifier: string): Reply {
    if (!this.peripherals.has(identifier)) return notFound();
    if (!this.nuvlaReachable) return caught(identifier);
    const resource = this.nuvla.get(identifier);
    this.peripherals.delete(identifier);
    if (!resource) {
      const message = `Deleted ${identifier}`;
      return this.version === '2.0.0' ? { status: 200, body: { message } } : { status: 200, body: message, html: true };
    }
    this.nuvla.delete(identifier);
    return { status: 200, body: { status: 200, message: `${resource.id} deleted`, 'resource-id': resource.id } };
  }
}

/** Starts a fake agent on 127.0.0.1 and resolves once it is listening. */
export async function startFakeAgent(options: FakeAgentOptions = {}): Promise<FakeAgent> {
  const server = http.createServer();
  const agent = new FakeNuvlaboxAgent(
    server,
    `nuvlabox/${options.nuvlaboxId ?? randomUUID()}`,
    options.version ?? '2.9.6',
  );
  agent.seed(options.initial ?? {}, options.inNuvla ?? {});
  server.on(
    'request',
    answering((request, response) => agent.handle(request, response)),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  agent.port = (server.address() as AddressInfo).port;
  agent.url = `http://127.0.0.1:${agent.port}/api`;
  return agent;
}
