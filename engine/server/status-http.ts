// The status server's HTTP side: endpoints, the lock, the snapshots. It runs on a thread of
// its own (status-worker.ts) and asks the engine's thread for what it shows (StatusSource), so
// that connections are taken and answered however busy the engine's thread is.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeviceStatus, ProfilesStatus, StatusSummary } from './status-data.js';
import { renderLoginPage, renderStatusPage } from './status-page.js';
import { StatusLock } from './status-lock.js';
import { Answer, Snapshot } from './status-snapshot.js';

/** What the status server can ask the engine for. */
export type StatusQuestion = 'summary' | 'devices' | 'profiles' | 'healthy' | 'metrics';

/** The engine's answer: the JSON text of summary, devices and profiles; health; metric lines. */
export interface StatusReply {
  json?: string;
  healthy?: boolean;
  text?: string;
}

/**
 * Where the server gets what it shows. `healthy` and `metrics` are asked per request; `summary`,
 * `devices` and `profiles` at most once per snapshot window (see status-snapshot.ts), however
 * many clients ask. `path` is the request's, for the log line of a question the engine could
 * not answer: the engine writes that line itself and `ask` rejects with an `UnansweredError`.
 */
export interface StatusSource {
  ask(question: StatusQuestion, path: string): Promise<StatusReply>;
  /** A request failed on the server's side (the engine's failures are logged where they happen). */
  failed(path: string | undefined, message: string): void;
}

/** The engine could not answer a question; it has logged why. */
export class UnansweredError extends Error {}

/** Options of the status server. */
export interface StatusServerOptions {
  /** When set, every endpoint but `/healthz` requires this token. */
  token?: string;
  /** How long a built answer is reused (default `SNAPSHOT_WINDOW_MS`); 0 builds one per request. */
  snapshotWindowMs?: number;
}

/** The answers built from the source, each reused for a snapshot window. */
interface StatusSnapshots {
  summary: Snapshot<Answer<StatusSummary>>;
  devices: Snapshot<Answer<DeviceStatus[]>>;
  profiles: Snapshot<Answer<ProfilesStatus>>;
}

function send(response: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? Answer.text(body) : String(body);
  sendText(response, status, text, type);
}

/**
 * Sends a snapshot's JSON, serialised once for every client of its window, and compressed once
 * for the clients that accept gzip (browsers and HTTP libraries do; curl without `--compressed`
 * does not).
 */
function sendAnswer(request: IncomingMessage, response: ServerResponse, answer: Answer<unknown>): void {
  if (!acceptsGzip(request.headers['accept-encoding'])) {
    response.setHeader('vary', 'accept-encoding');
    return sendText(response, 200, answer.json, 'application/json');
  }
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-encoding': 'gzip',
    vary: 'accept-encoding',
    'cache-control': 'no-store',
  });
  response.end(answer.gzip);
}

/**
 * Whether an `Accept-Encoding` header accepts gzip: named (or `*` when gzip is not named) with
 * a weight above 0 (RFC 9110, 12.5.3).
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let anyOther = false;
  for (const coding of header.split(',')) {
    const [name = '', ...parameters] = coding.split(';').map((part) => part.trim().toLowerCase());
    const weight = parameters.find((parameter) => parameter.startsWith('q='));
    const accepted = weight === undefined || Number(weight.slice(2)) > 0;
    if (name === 'gzip') return accepted;
    if (name === '*') anyOther = accepted;
  }
  return anyOther;
}

function sendText(response: ServerResponse, status: number, text: string | Buffer, type: string): void {
  response.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  response.end(text);
}

/** Whether a browser asked for HTML before JSON (API clients and curl keep the JSON). */
function wantsHtml(request: IncomingMessage): boolean {
  const accept = request.headers.accept ?? '';
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html !== -1 && (json === -1 || html < json);
}

/** Reads a small form body (the login form); more than a few KiB is not a login. */
async function formBody(request: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > 4096) break;
  }
  return new URLSearchParams(body);
}

/** Checks the lock; answers and returns false when the request may not go on. */
function unlocked(
  lock: StatusLock,
  request: IncomingMessage,
  response: ServerResponse,
  pathname: string,
  query: URLSearchParams,
): boolean {
  if (!lock.locked || pathname === '/healthz') return true;
  const fromUrl = query.get('token');
  if (fromUrl !== null && lock.accepts(fromUrl)) {
    // Once: the token becomes a cookie and leaves the address bar (and the history).
    query.delete('token');
    const rest = query.toString();
    response.writeHead(303, {
      location: `${pathname}${rest ? `?${rest}` : ''}`,
      'set-cookie': StatusLock.cookie(fromUrl),
      'cache-control': 'no-store',
    });
    response.end();
    return false;
  }
  if (lock.accepts(lock.presented(request))) return true;
  if (wantsHtml(request)) {
    send(response, 401, renderLoginPage(fromUrl !== null), 'text/html');
  } else {
    response.setHeader('www-authenticate', 'Bearer realm="engine status", Basic realm="engine status"');
    send(response, 401, { error: 'this status server requires its token (Authorization: Bearer TOKEN)' });
  }
  return false;
}

async function login(lock: StatusLock, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const token = (await formBody(request)).get('token') ?? '';
  if (!lock.accepts(token)) return send(response, 401, renderLoginPage(true), 'text/html');
  response.writeHead(303, { location: '/', 'set-cookie': StatusLock.cookie(token), 'cache-control': 'no-store' });
  response.end();
}

async function route(
  source: StatusSource,
  snapshots: StatusSnapshots,
  lock: StatusLock,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  // Not `new URL(...)`: it would read `//metrics` as a host name.
  const [pathname = '/', search = ''] = (request.url ?? '/').split('?');
  if (lock.locked && request.method === 'POST' && pathname === '/login') return login(lock, request, response);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return send(response, 405, { error: 'only GET' });
  }
  if (!unlocked(lock, request, response, pathname, new URLSearchParams(search))) return;
  switch (pathname) {
    case '/':
      if (wantsHtml(request)) {
        const [summary, devices, profiles] = await Promise.all([
          snapshots.summary.read(),
          snapshots.devices.read(),
          snapshots.profiles.read(),
        ]);
        const page = renderStatusPage({ summary: summary.value, devices: devices.value, profiles: profiles.value });
        return send(response, 200, page, 'text/html');
      }
      return sendAnswer(request, response, await snapshots.summary.read());
    case '/healthz':
      return (await source.ask('healthy', pathname)).healthy
        ? send(response, 200, { status: 'ok' })
        : send(response, 503, { status: 'starting' });
    case '/devices':
      return sendAnswer(request, response, await snapshots.devices.read());
    case '/profiles':
      return sendAnswer(request, response, await snapshots.profiles.read());
    case '/metrics':
      return send(response, 200, (await source.ask('metrics', pathname)).text ?? '', 'text/plain; version=0.0.4');
    default:
      return send(response, 404, {
        error: `no such endpoint: ${pathname}`,
        endpoints: ['/', '/healthz', '/devices', '/profiles', '/metrics'],
      });
  }
}

/** A snapshot of one of the engine's JSON answers, served at `path`. */
function snapshotOf<T>(
  source: StatusSource,
  question: StatusQuestion,
  path: string,
  windowMs: number | undefined,
): Snapshot<Answer<T>> {
  return new Snapshot(async () => new Answer<T>((await source.ask(question, path)).json ?? 'null'), windowMs);
}

/**
 * The status server on `host:port` (the gateway convention is port 6769). Resolves once it
 * listens, with the port, which is the chosen free one for port 0.
 */
export async function serveStatus(
  source: StatusSource,
  host: string,
  port: number,
  options: StatusServerOptions = {},
): Promise<{ server: Server; port: number }> {
  const lock = new StatusLock(options.token);
  const windowMs = options.snapshotWindowMs;
  const snapshots: StatusSnapshots = {
    summary: snapshotOf(source, 'summary', '/', windowMs),
    devices: snapshotOf(source, 'devices', '/devices', windowMs),
    profiles: snapshotOf(source, 'profiles', '/profiles', windowMs),
  };
  const server = createServer((request, response) => {
    route(source, snapshots, lock, request, response).catch((error: unknown) => {
      if (!(error instanceof UnansweredError)) source.failed(request.url, (error as Error).message);
      if (!response.headersSent) send(response, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Listening, an error of the server itself (a connection it could not accept: no file
  // descriptor left) is reported each time, and the server goes on.
  server.on('error', (error) => source.failed(undefined, error.message));
  return { server, port: (server.address() as AddressInfo).port };
}
