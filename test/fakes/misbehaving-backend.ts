// A backend server that misbehaves on demand, over real HTTP on 127.0.0.1. Healthy, it keeps the
// NuvlaBox agent's peripheral contract (docs/backends/nuvlabox-agent.md: healthcheck, POST 201 with a
// resource-id, 400 "already registered", PUT and DELETE 200 or 404). In any other mode it stands
// for what a network or a wrong server does: hangs, trickles, answers HTML or JSON cut short, a
// 100 MB body, 503 with Retry-After: 0, a connection closed in the middle of the answer, 500s,
// a 307 redirect or a 409 for a while.
// The modes apply to the peripheral routes; the healthcheck keeps answering `200 true`, so that
// the engine's requests reach the misbehaving routes rather than stopping at its healthcheck.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the server answers; a test may change it at any moment, for the next request. */
export type MisbehaviourMode =
  | 'healthy'
  /** Accepts the request and never answers. */
  | 'hang'
  /** 200 JSON headers, then one byte a second, never ending. */
  | 'one-byte-a-second'
  /** A proxy's welcome page: 200 text/html for everything. */
  | 'html'
  /** 200/201 application/json whose body stops in the middle of the JSON. */
  | 'truncated-json'
  /** 200 application/json with a 100 MB body. */
  | 'huge-body'
  /** 503 with `Retry-After: 0` for everything. */
  | 'retry-after-0'
  /** Acts on the request like the agent, then closes the connection halfway through the answer. */
  | 'close-mid-answer'
  /** 500 JSON for everything. */
  | 'error-500'
  /** A proxy redirecting for a while: 307 to the same path, for everything. */
  | 'redirect-307'
  /** 409 JSON for everything, as a backend does while another writer holds the resource. */
  | 'conflict-409';

/** One request received, in arrival order. */
export interface ReceivedRequest {
  method: string;
  path: string;
  mode: MisbehaviourMode;
  /** The identifier the request was about, when there was one. */
  identifier?: string;
  /** The status answered in full; undefined when the answer was not a complete one. */
  status?: number;
  at: number;
}

export interface MisbehavingBackend {
  /** Base URL, e.g. `http://127.0.0.1:40123/api`. */
  readonly url: string;
  mode: MisbehaviourMode;
  /** The peripherals held, identifier → document. Tests may seed and inspect it. */
  readonly peripherals: Map<string, Record<string, unknown>>;
  readonly requests: ReceivedRequest[];
  /** Identifiers in the order their POSTs were answered 201. */
  readonly registrations: string[];
  /** Connections open now: each one the engine holds (a hanging request, a keep-alive socket). */
  openConnections(): number;
  close(): Promise<void>;
}

export const HUGE_BODY_BYTES = 100 * 1024 * 1024;

const json = (response: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) =>
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

async function readBody(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Writes `bytes` of a JSON string body in 64 KiB chunks, following the socket's backpressure. */
async function writeHuge(response: http.ServerResponse, bytes: number): Promise<void> {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes) });
  const chunk = Buffer.alloc(64 * 1024, 'a');
  response.write('"');
  let written = 1;
  while (written < bytes - 1 && !response.destroyed) {
    const part = chunk.subarray(0, Math.min(chunk.length, bytes - 1 - written));
    written += part.length;
    if (!response.write(part)) {
      await new Promise<void>((resolve) => {
        const done = () => (response.off('drain', done), response.off('close', done), resolve());
        response.on('drain', done).on('close', done);
      });
    }
  }
  response.end('"');
}

class Server implements MisbehavingBackend {
  url = '';
  mode: MisbehaviourMode = 'healthy';
  readonly peripherals = new Map<string, Record<string, unknown>>();
  readonly requests: ReceivedRequest[] = [];
  readonly registrations: string[] = [];
  readonly sockets = new Set<Socket>();
  readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly server: http.Server) {}

  openConnections(): number {
    return this.sockets.size;
  }

  async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readBody(request);
    const path = request.url ?? '/';
    const mode = path.startsWith('/api/healthcheck') ? 'healthy' : this.mode;
    const identifier = identifierOf(path, body);
    const entry: ReceivedRequest = {
      method: request.method ?? 'GET',
      path,
      mode,
      ...(identifier && { identifier }),
      at: Date.now(),
    };
    this.requests.push(entry);
    const answered = (status: number) => (entry.status = status);
    switch (mode) {
      case 'hang':
        return;
      case 'one-byte-a-second': {
        response.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => response.write(' '), 1000);
        this.timers.add(timer);
        response.on('close', () => (clearInterval(timer), this.timers.delete(timer)));
        return;
      }
      case 'html':
        answered(200);
        response
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>');
        return;
      case 'truncated-json':
        answered(request.method === 'POST' ? 201 : 200);
        response
          .writeHead(request.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' })
          .end('{"status":201,"message":"nuvlabox-peripheral/12');
        return;
      case 'huge-body':
        await writeHuge(response, HUGE_BODY_BYTES);
        return;
      case 'retry-after-0':
        answered(503);
        json(response, 503, { error: 'busy' }, { 'retry-after': '0' });
        return;
      case 'error-500':
        answered(500);
        json(response, 500, { error: 'internal error' });
        return;
      case 'redirect-307':
        answered(307);
        response.writeHead(307, { location: path, 'content-type': 'text/html' }).end('<a>Temporary Redirect</a>');
        return;
      case 'conflict-409':
        answered(409);
        json(response, 409, { error: 'conflict, try again' });
        return;
      case 'close-mid-answer': {
        const { status, body: answer } = this.route(entry.method, path, body);
        const text = JSON.stringify(answer);
        response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(text.length + 10) });
        response.write(text.slice(0, Math.ceil(text.length / 2)));
        setImmediate(() => response.destroy());
        return;
      }
      case 'healthy': {
        const { status, body: answer } = this.route(entry.method, path, body);
        answered(status);
        json(response, status, answer);
        return;
      }
    }
  }

  /** The agent's peripheral routes. */
  route(method: string, path: string, body: unknown): { status: number; body: unknown } {
    const url = new URL(path, 'http://agent');
    if (url.pathname === '/api/healthcheck') return { status: 200, body: true };
    if (url.pathname === '/api/peripheral' && method === 'POST') {
      const identifier = (body as Record<string, unknown> | undefined)?.['identifier'];
      if (typeof identifier !== 'string') return { status: 400, body: { error: 'Peripheral identifier missing' } };
      if (this.peripherals.has(identifier))
        return { status: 400, body: { error: `Peripheral ${identifier} already registered. Please delete it first` } };
      this.peripherals.set(identifier, body as Record<string, unknown>);
      this.registrations.push(identifier);
      const resourceId = `nuvlabox-peripheral/${randomUUID()}`;
      return { status: 201, body: { status: 201, message: `${resourceId} created`, 'resource-id': resourceId } };
    }
    const match = /^\/api\/peripheral\/([^/]+)$/.exec(url.pathname);
    if (!match) return { status: 404, body: { error: 'Not found' } };
    const identifier = decodeURIComponent(match[1]!);
    const stored = this.peripherals.get(identifier);
    if (!stored) return { status: 404, body: { error: 'Peripheral not found' } };
    if (method === 'PUT') {
      const updated = { ...stored, ...(body as Record<string, unknown>) };
      this.peripherals.set(identifier, updated);
      return { status: 200, body: updated };
    }
    if (method === 'DELETE') {
      this.peripherals.delete(identifier);
      return { status: 200, body: { status: 200, message: 'deleted' } };
    }
    return { status: 200, body: stored };
  }

  close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The identifier a request is about: in its path (PUT, DELETE) or its body (POST). */
function identifierOf(path: string, body: unknown): string | undefined {
  const match = /^\/api\/peripheral\/([^/?]+)/.exec(path);
  if (match) return decodeURIComponent(match[1]!);
  const identifier = (body as Record<string, unknown> | undefined)?.['identifier'];
  return typeof identifier === 'string' ? identifier : undefined;
}

/** Starts the server on 127.0.0.1 in `healthy` mode. */
export async function startMisbehavingBackend(
  initial: Record<string, Record<string, unknown>> = {},
): Promise<MisbehavingBackend> {
  const server = http.createServer();
  const backend = new Server(server);
  for (const [identifier, document] of Object.entries(initial)) backend.peripherals.set(identifier, { ...document });
  server.on('connection', (socket) => {
    backend.sockets.add(socket);
    socket.on('close', () => backend.sockets.delete(socket));
  });
  server.on('request', (request, response) => {
    backend.handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  return backend;
}
