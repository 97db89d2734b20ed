// The endpoint the balena supervisor calls back (docs/backends/balena-supervisor.md): a new target
// for a dependent device, its deletion in the cloud, a restart. Whatever arrives, the answer is a
// status code: unknown uuids 404 (200 to a DELETE, which the supervisor repeats otherwise), malformed bodies 400, and nothing a network sends can crash it.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/log.js';
import { isPlainObject } from '../../core/plain-object.js';
import { RateLimitedWarning } from '../../core/rate-limited-warning.js';
import type { BalenaDevices } from './balena-devices.js';
import type { BalenaActions } from './balena-actions.js';
import { HookAccess } from './balena-hook-access.js';
import { targetOfHook } from './balena-target.js';

/** Hook bodies are small JSON objects; anything bigger is refused unread. */
const MAX_BODY_BYTES = 64 * 1024;

const UUID = /^[A-Za-z0-9]{1,128}$/;

/** A hook request that cannot be served, with the status that says why. */
class HookError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HookError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HookError(400, 'body is not JSON');
  }
  if (!isPlainObject(parsed)) throw new HookError(400, 'body is not a JSON object');
  return parsed;
}

/** Where to listen and under which path prefix, from a hook address such as `http://0.0.0.0:1337/v1/devices/`. */
function hookEndpoint(hookAddress: string): { host: string; port: number; prefix: string } {
  const url = new URL(hookAddress);
  const prefix = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    prefix,
  };
}

/** Who may call the hooks: the supervisor's address, and addresses or CIDR blocks besides. */
export interface HookCallers {
  supervisorAddress: string;
  allowFrom: readonly string[];
}

export class BalenaHookServer {
  private readonly server = http.createServer((request, response) => void this.serve(request, response));
  private readonly endpoint: { host: string; port: number; prefix: string };
  private access: HookAccess | undefined;
  /** One warning a minute at most, counting the refusals it stands for: a scan cannot flood the log. */
  private readonly refusals: RateLimitedWarning;

  constructor(
    hookAddress: string,
    private readonly callers: HookCallers,
    private readonly devices: BalenaDevices,
    private readonly actions: BalenaActions,
    private readonly log: Logger,
  ) {
    this.endpoint = hookEndpoint(hookAddress);
    this.refusals = new RateLimitedWarning(
      log,
      'balena hook refused: the caller is neither the supervisor nor in hookAllowFrom',
      undefined,
      'refused',
    );
    // A slow or silent client must not hold a socket for ever.
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 10_000;
  }

  /**
   * Listens on the hook address's port and host, or on loopback when that host is a wildcard
   * and only loopback callers are allowed (see HookAccess); resolves with the port (for `:0`).
   */
  async start(): Promise<number> {
    const { port } = this.endpoint;
    const access = await HookAccess.resolve(this.endpoint.host, this.callers.supervisorAddress, this.callers.allowFrom);
    this.access = access;
    const host = access.listenHost;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const bound = (this.server.address() as AddressInfo).port;
    this.log.info('balena hook server listening', {
      host,
      port: bound,
      ...(host !== this.endpoint.host && { narrowedFrom: this.endpoint.host }),
      answering: access.callers,
    });
    if (access.callers.length === 0)
      this.log.warn(
        'balena hooks: the supervisor address did not resolve and hookAllowFrom is empty; every hook is refused',
      );
    return bound;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let status: number;
    let message: string;
    try {
      if (!this.access?.allows(request.socket.remoteAddress)) {
        this.refusals.failed({ from: request.socket.remoteAddress ?? 'unknown' });
        throw new HookError(403, 'hooks are accepted only from the supervisor (and hookAllowFrom)');
      }
      ({ status, message } = await this.route(request));
    } catch (error) {
      status = error instanceof HookError ? error.status : 500;
      message = error instanceof HookError ? error.message : 'internal error';
      if (!(error instanceof HookError)) this.log.error('balena hook failed', { error: (error as Error).message });
    }
    this.log.debug('balena hook', { method: request.method, path: request.url?.split('?')[0], status });
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(status < 400 ? { status, message } : { error: message }));
    // The rest of a refused body is not read; close rather than keep a half-read connection.
    if (status === 413 || status === 403) request.destroy();
  }

  private async route(request: IncomingMessage): Promise<{ status: number; message: string }> {
    const { prefix } = this.endpoint;
    const pathname = new URL(request.url ?? '/', 'http://hook').pathname;
    if (!pathname.startsWith(prefix)) throw new HookError(404, 'not a hook path');
    const [uuid, action, ...rest] = pathname.slice(prefix.length).split('/');
    if (!uuid || !UUID.test(uuid) || rest.length > 0 || (action !== undefined && action !== 'restart'))
      throw new HookError(404, 'not a hook path');
    const allowed = action === 'restart' ? ['PUT'] : ['PUT', 'DELETE'];
    if (!allowed.includes(request.method ?? '')) throw new HookError(405, `use ${allowed.join(' or ')}`);
    const body = request.method === 'PUT' && action === undefined ? await readJson(request) : undefined;
    const found = await this.devices.byUuid(uuid);
    // The supervisor takes anything but 200 to a DELETE as a failure and sends it again every
    // 30 s, for ever: a device the engine does not know is as deleted as it gets.
    if (!found && request.method === 'DELETE' && action === undefined)
      return { status: 200, message: 'not known here' };
    if (!found) throw new HookError(404, 'unknown device');
    if (action === 'restart') return this.actions.restart(found.identifier, found.device);
    if (request.method === 'DELETE') {
      await this.devices.forget(found.identifier);
      this.log.info('balena device deleted in the cloud; forgotten', { identifier: found.identifier, uuid });
      return { status: 200, message: 'forgotten' };
    }
    const checked = targetOfHook(body!);
    if ('problem' in checked) throw new HookError(400, checked.problem);
    return this.actions.update(found.identifier, found.device, checked.target);
  }
}
