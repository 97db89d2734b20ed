import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/log.js';
import { isLoopback } from '../core/loopback.js';
import type { DeviceStatus, ProfilesStatus, StatusSummary } from './status-data.js';
import { renderLoginPage, renderStatusPage } from './status-page.js';
import { StatusLock } from './status-lock.js';
import { Snapshot, type Answer } from './status-snapshot.js';

/**
 * What the status server shows. `healthy` and `metrics` are called per request; `summary`,
 * `devices` and `profiles` at most once per snapshot window (see status-snapshot.ts), however
 * many clients ask.
 */
export interface StatusProvider {
  summary(): StatusSummary;
  healthy(): boolean;
  devices(): DeviceStatus[];
  profiles(): ProfilesStatus;
  metrics(): string;
}

/** The answers built from the provider, each reused for a snapshot window. */
interface StatusSnapshots {
  summary: Snapshot<StatusSummary>;
  devices: Snapshot<DeviceStatus[]>;
  profiles: Snapshot<ProfilesStatus>;
}

function send(response: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? `${JSON.stringify(body, null, 2)}\n` : String(body);
  sendText(response, status, text, type);
}

/** Sends a snapshot's JSON, serialised once for every client of its window. */
function sendAnswer(response: ServerResponse, answer: Answer<unknown>): void {
  sendText(response, 200, answer.json, 'application/json');
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

function route(
  provider: StatusProvider,
  snapshots: StatusSnapshots,
  lock: StatusLock,
  request: IncomingMessage,
  response: ServerResponse,
): void | Promise<void> {
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
        const page = renderStatusPage({
          summary: snapshots.summary.read().value,
          devices: snapshots.devices.read().value,
          profiles: snapshots.profiles.read().value,
        });
        return send(response, 200, page, 'text/html');
      }
      return sendAnswer(response, snapshots.summary.read());
    case '/healthz':
      return provider.healthy() ? send(response, 200, { status: 'ok' }) : send(response, 503, { status: 'starting' });
    case '/devices':
      return sendAnswer(response, snapshots.devices.read());
    case '/profiles':
      return sendAnswer(response, snapshots.profiles.read());
    case '/metrics':
      return send(response, 200, provider.metrics(), 'text/plain; version=0.0.4');
    default:
      return send(response, 404, {
        error: `no such endpoint: ${pathname}`,
        endpoints: ['/', '/healthz', '/devices', '/profiles', '/metrics'],
      });
  }
}

/** Options of the status server. */
export interface StatusServerOptions {
  /** When set, every endpoint but `/healthz` requires this token. */
  token?: string;
  /** How long a built answer is reused (default `SNAPSHOT_WINDOW_MS`); 0 builds one per request. */
  snapshotWindowMs?: number;
}

/**
 * The status server on `host:port` (the gateway convention is port 6769). Resolves with the
 * port it listens on, which is the chosen free one for port 0.
 */
export async function startStatusServer(
  provider: StatusProvider,
  host: string,
  port: number,
  log: Logger,
  options: StatusServerOptions = {},
): Promise<{ server: Server; port: number }> {
  const lock = new StatusLock(options.token);
  const windowMs = options.snapshotWindowMs;
  const snapshots: StatusSnapshots = {
    summary: new Snapshot(() => provider.summary(), windowMs),
    devices: new Snapshot(() => provider.devices(), windowMs),
    profiles: new Snapshot(() => provider.profiles(), windowMs),
  };
  const failed = (request: IncomingMessage, response: ServerResponse, error: unknown) => {
    log.error('status request failed', { path: request.url, error: (error as Error).message });
    if (!response.headersSent) send(response, 500, { error: 'internal error' });
  };
  const server = createServer((request, response) => {
    try {
      const answered = route(provider, snapshots, lock, request, response);
      if (answered) answered.catch((error: unknown) => failed(request, response, error));
    } catch (error) {
      failed(request, response, error);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  if (!lock.locked && !isLoopback(host)) {
    log.warn(
      'the status server is reachable from the network without a token: device facts and backend errors are readable by anyone who can reach it; set status.token in the config or ENGINE_STATUS_TOKEN',
      { host },
    );
  }
  return { server, port: (server.address() as AddressInfo).port };
}

const escapeLabel = (label: string) => label.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([key, label]) => `${key}="${escapeLabel(label)}"`)
    .join(',');

/** Metric lines in the Prometheus text format. */
export class MetricsText {
  private readonly lines: string[] = [];

  /** Adds one metric family; `samples` pairs label sets with values. */
  add(
    name: string,
    type: 'gauge' | 'counter' | 'histogram',
    help: string,
    samples: [Record<string, string>, number][],
  ): this {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const text = labelText(labels);
      this.lines.push(`${name}${text ? `{${text}}` : ''} ${value}`);
    }
    return this;
  }

  /**
   * Adds a histogram: `buckets` are cumulative counts labelled with `le`, and `totals` give each
   * label set's sum and count.
   */
  addHistogram(
    name: string,
    help: string,
    buckets: [Record<string, string>, number][],
    totals: [Record<string, string>, number, number][],
  ): this {
    this.add(name, 'histogram', help, []);
    for (const [labels, value] of buckets) this.lines.push(`${name}_bucket{${labelText(labels)}} ${value}`);
    for (const [labels, sum, count] of totals)
      this.lines.push(`${name}_sum{${labelText(labels)}} ${sum}`, `${name}_count{${labelText(labels)}} ${count}`);
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
