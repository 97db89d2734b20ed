import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

/** What the status server shows; each function is called per request. */
export interface StatusProvider {
  summary(): Record<string, unknown>;
  healthy(): boolean;
  devices(): unknown[];
  profiles(): unknown;
  metrics(): string;
}

function send(response: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? `${JSON.stringify(body, null, 2)}\n` : String(body);
  response.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  response.end(text);
}

function route(provider: StatusProvider, request: IncomingMessage, response: ServerResponse): void {
  // Not `new URL(...)`: it would read `//metrics` as a host name.
  const pathname = (request.url ?? '/').split('?')[0]!;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return send(response, 405, { error: 'only GET' });
  }
  switch (pathname) {
    case '/':
      return send(response, 200, provider.summary());
    case '/healthz':
      return provider.healthy() ? send(response, 200, { status: 'ok' }) : send(response, 503, { status: 'starting' });
    case '/devices':
      return send(response, 200, provider.devices());
    case '/profiles':
      return send(response, 200, provider.profiles());
    case '/metrics':
      return send(response, 200, provider.metrics(), 'text/plain; version=0.0.4');
    default:
      return send(response, 404, { error: `no such endpoint: ${pathname}`, endpoints: ['/', '/healthz', '/devices', '/profiles', '/metrics'] });
  }
}

/**
 * The status server on `host:port` (the gateway convention is port 6769). Resolves with the
 * port it listens on, which is the chosen free one for port 0.
 */
export async function startStatusServer(provider: StatusProvider, host: string, port: number, log: Logger): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    try {
      route(provider, request, response);
    } catch (error) {
      log.error('status request failed', { path: request.url, error: (error as Error).message });
      if (!response.headersSent) send(response, 500, { error: 'internal error' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** Metric lines in the Prometheus text format. */
export class MetricsText {
  private readonly lines: string[] = [];

  /** Adds one metric family; `samples` pairs label sets with values. */
  add(name: string, type: 'gauge' | 'counter', help: string, samples: [Record<string, string>, number][]): this {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const text = Object.entries(labels)
        .map(([key, label]) => `${key}="${label.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
        .join(',');
      this.lines.push(`${name}${text ? `{${text}}` : ''} ${value}`);
    }
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
