// A fake balena supervisor dependent-device API (docs/backends/balena-supervisor.md, as the
// proxyvisor of v14.7.1 behaves) over real HTTP on loopback: API key checks, validation,
// 201/202/400/401/404/410/503 as the supervisor answers them, and the hooks it sends back to the
// gateway's hook address on its own, throttled per device, until they are answered 200. With
// `dependentDeviceApi: false` it is a supervisor v14.8.0 or later, which has no such API.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answering } from './answering.js';

/** A dependent device as the supervisor holds it. */
export interface FakeDependentDevice {
  id: number;
  uuid: string;
  appId: number;
  device_type: string;
  name: string;
  is_online: boolean | null;
  status: string;
  commit: string | null;
  releaseId: string | null;
  environment: Record<string, unknown>;
  config: Record<string, unknown>;
  /** Marked for deletion in the cloud: every request for it answers 410 until a DELETE hook gets 200. */
  deleted: boolean;
  /** The lines the dashboard shows: those sent with `isSystem` or a `serviceId`. */
  logs: { message: string; timestamp?: number; isSystem?: boolean }[];
  /** Lines accepted (202) but dropped by the log backend: neither `isSystem` nor `serviceId`. */
  droppedLogs: string[];
  /** A new target from the cloud, sent in update hooks until answered 200 or its commit is reported. */
  target?: { commit: string; environment: Record<string, unknown>; config: Record<string, unknown> };
}

/** One hook the fake sent to the gateway. */
export interface SentHook {
  method: 'PUT' | 'DELETE';
  uuid: string;
  body?: unknown;
  /** The gateway's answer; 0 when it could not be reached. */
  status: number;
  at: number;
}

export interface SupervisorRequest {
  method: string;
  /** Path without the query string (which may hold the key). */
  path: string;
  /** How the key came: `query`, `header`, or `none`. */
  keyIn: 'query' | 'header' | 'none';
  body: unknown;
  status: number;
}

export interface FakeSupervisor {
  readonly url: string;
  readonly apiKey: string;
  readonly devices: Map<string, FakeDependentDevice>;
  readonly requests: SupervisorRequest[];
  /** Application ids that exist; POST /v1/devices with another one is a 503 (the cloud's error, caught). */
  readonly apps: Set<number>;
  /** Hooks sent on the fake's own initiative (markDeleted, setTarget), in order. */
  readonly hooks: SentHook[];
  /** Where hooks go (`<address><uuid>`); none are sent until it is set. */
  hookAddress: string | undefined;
  /** When true, connections are dropped without an answer. */
  down: boolean;
  /** Answers the next `count` requests under /v1/devices (of `method` only, when given) with `status`. */
  failNext(count: number, status: number, method?: string): void;
  /**
   * Deletes a device in the cloud: 410 from now on, and a DELETE hook to the gateway, repeated
   * at most every `hookIntervalMs` until answered 200; then the device is gone (404).
   */
  markDeleted(uuid: string): void;
  /** A new target for a device: an update hook (appId as a string), repeated until answered 200 or the commit is reported. */
  setTarget(
    uuid: string,
    target: { commit: string; environment?: Record<string, unknown>; config?: Record<string, unknown> },
  ): void;
  /** Sends a hook to the gateway: `<hookAddress><uuid><suffix>`; resolves with the status. */
  hook(
    hookAddress: string,
    method: 'PUT' | 'DELETE',
    uuid: string,
    options?: { suffix?: string; body?: unknown; rawBody?: string },
  ): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmptyString = (value: unknown) => typeof value === 'string' && value.trim() !== '';

interface Reply {
  status: number;
  body: unknown;
  /** A string body sent as `text/html` (Express's pages) rather than `text/plain`. */
  html?: boolean;
}

/** Express's answer for a route nobody defined (finalhandler's page). */
const unknownRoute = (method: string, path: string): Reply => ({
  status: 404,
  html: true,
  body: `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot ${method} ${path}</pre>\n</body>\n</html>\n`,
});

export interface FakeSupervisorOptions {
  apiKey?: string;
  apps?: number[];
  /** The least time between two hooks to one device: 30 s in the supervisor, shorter in tests. */
  hookIntervalMs?: number;
  /**
   * False for a supervisor v14.8.0 or later: the key is still checked, but every dependent-device
   * route (`/v1/devices...`, `/v1/dependent-apps...`) is unknown, Express's `404 text/html`
   * `Cannot POST /v1/devices`. True (the default) for the proxyvisor of v14.7.1 and earlier.
   */
  dependentDeviceApi?: boolean;
}

export async function startFakeSupervisor(options: FakeSupervisorOptions = {}): Promise<FakeSupervisor> {
  const apiKey = options.apiKey ?? randomBytes(16).toString('hex');
  const devices = new Map<string, FakeDependentDevice>();
  const requests: SupervisorRequest[] = [];
  const apps = new Set(options.apps ?? [13015]);
  const hookIntervalMs = options.hookIntervalMs ?? 30_000;
  const hooks: SentHook[] = [];
  /** Per device: when its last hook was sent, and the timer of the next. */
  const hookTimers = new Map<string, { lastSent: number; timer?: NodeJS.Timeout; sending?: boolean }>();
  let closed = false;
  let hookAddress: string | undefined;
  let failures: { count: number; status: number; method?: string } = { count: 0, status: 503 };
  let nextId = 47000;

  const keyOf = (request: http.IncomingMessage, url: URL): { key?: string; keyIn: SupervisorRequest['keyIn'] } => {
    const query = url.searchParams.get('apikey');
    if (query !== null) return { key: query, keyIn: 'query' };
    const match = /^(?:ApiKey|Bearer) (.+)$/.exec(request.headers.authorization ?? '');
    return match ? { key: match[1], keyIn: 'header' } : { keyIn: 'none' };
  };

  const provision = (body: unknown): Reply => {
    if (!isObject(body)) return { status: 400, body: { error: 'body must be an object' } };
    const { appId, device_type: deviceType } = body;
    if (typeof appId !== 'number' || !Number.isInteger(appId) || appId < 1)
      return { status: 400, body: 'appId must be a positive integer' };
    // The cloud's "not found" is caught like every other cloud error: 503.
    if (!apps.has(appId)) return { status: 503, body: 'Request failed with status code 404' };
    const uuid = randomBytes(31).toString('hex');
    const device: FakeDependentDevice = {
      id: nextId++,
      uuid,
      appId,
      device_type: typeof deviceType === 'string' ? deviceType : 'generic',
      name: `device-${uuid.slice(0, 6)}`,
      is_online: null,
      status: 'Provisioned',
      commit: null,
      releaseId: null,
      environment: {},
      config: {},
      deleted: false,
      logs: [],
      droppedLogs: [],
    };
    devices.set(uuid, device);
    return {
      status: 201,
      body: { id: device.id, uuid, name: device.name, note: null, device_type: device.device_type },
    };
  };

  /** Every field given must be valid, or nothing is updated (400). */
  const update = (device: FakeDependentDevice, body: unknown): Reply => {
    if (!isObject(body)) return { status: 400, body: { error: 'nothing to update' } };
    const invalid = (field: string) => ({ status: 400, body: { error: `Invalid ${field}` } });
    if (body.is_online !== undefined && typeof body.is_online !== 'boolean') return invalid('is_online');
    for (const field of ['status', 'commit', 'releaseId'])
      if (body[field] !== undefined && !nonEmptyString(body[field])) return invalid(field);
    for (const field of ['environment', 'config'])
      if (body[field] !== undefined && !isObject(body[field])) return invalid(field);
    let valid = 0;
    if (typeof body.is_online === 'boolean') ((device.is_online = body.is_online), valid++);
    for (const field of ['status', 'commit', 'releaseId'] as const)
      if (nonEmptyString(body[field])) (((device[field] as string) = body[field] as string), valid++);
    for (const field of ['environment', 'config'] as const)
      if (isObject(body[field])) ((device[field] = body[field] as Record<string, unknown>), valid++);
    if (valid === 0) return { status: 400, body: { error: 'Device attributes not provided' } };
    if (device.target && device.commit === device.target.commit) device.target = undefined;
    const { logs: _logs, droppedLogs: _dropped, deleted: _deleted, target: _target, ...visible } = device;
    return { status: 200, body: visible };
  };

  /** Sends the device's pending hook, if any, no sooner than `hookIntervalMs` after the last one. */
  const scheduleHook = (uuid: string): void => {
    if (closed || hookAddress === undefined) return;
    const state = hookTimers.get(uuid) ?? { lastSent: -Infinity };
    hookTimers.set(uuid, state);
    if (state.timer || state.sending) return;
    const wait = Math.max(0, state.lastSent + hookIntervalMs - Date.now());
    state.timer = setTimeout(() => {
      state.timer = undefined;
      // A timer may fire a millisecond before Date.now() says it is due: the interval is a promise.
      if (Date.now() < state.lastSent + hookIntervalMs) scheduleHook(uuid);
      else void sendHook(uuid, state);
    }, wait);
  };

  const sendHook = async (uuid: string, state: { lastSent: number; sending?: boolean }): Promise<void> => {
    const device = devices.get(uuid);
    const address = hookAddress;
    if (closed || !device || address === undefined || (!device.deleted && !device.target)) return;
    const method = device.deleted ? 'DELETE' : 'PUT';
    const body = device.deleted
      ? undefined
      : {
          appId: String(device.appId),
          commit: device.target!.commit,
          environment: device.target!.environment,
          config: device.target!.config,
        };
    const sent: SentHook = { method, uuid, ...(body && { body }), status: 0, at: Date.now() };
    hooks.push(sent);
    state.lastSent = sent.at;
    state.sending = true;
    try {
      const response = await fetch(`${address}${uuid}`, {
        method,
        ...(body && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      await response.arrayBuffer();
      sent.status = response.status;
    } catch {
      sent.status = 0;
    } finally {
      state.sending = false;
    }
    if (sent.status === 200) {
      if (method === 'DELETE') devices.delete(uuid);
      else device.target = undefined;
      return;
    }
    scheduleHook(uuid);
  };

  const route = (method: string, path: string, body: unknown): Reply => {
    if (method === 'GET' && path === '/v1/dependent-apps')
      return { status: 200, body: [...apps].map((id) => ({ id, name: `app-${id}`, commit: null, config: {} })) };
    if (path === '/v1/devices') {
      if (method === 'GET') return { status: 200, body: [...devices.values()].filter((device) => !device.deleted) };
      if (method === 'POST') return provision(body);
    }
    const match = /^\/v1\/devices\/([^/]+)(\/logs)?$/.exec(path);
    if (!match) return { status: 404, body: { error: 'not found' } };
    const device = devices.get(match[1]!);
    if (!device) return { status: 404, body: { error: 'Device not found' } };
    if (device.deleted) return { status: 410, body: { error: 'Device deleted' } };
    if (match[2]) {
      if (method !== 'POST') return { status: 404, body: { error: 'not found' } };
      if (!isObject(body) || typeof body.message !== 'string') return { status: 503, body: { error: 'invalid log' } };
      // The log backend keeps only system lines and lines of a service; it still answers 202.
      if (body.isSystem !== true && body.serviceId === undefined) device.droppedLogs.push(body.message);
      else
        device.logs.push({
          message: body.message,
          ...(typeof body.timestamp === 'number' && { timestamp: body.timestamp }),
          ...(body.isSystem === true && { isSystem: true }),
        });
      return { status: 202, body: 'Accepted' };
    }
    if (method === 'GET') return { status: 200, body: device };
    if (method === 'PUT') return update(device, body);
    return { status: 404, body: { error: 'not found' } };
  };

  const server = http.createServer(
    answering(async (request, response) => {
      let text = '';
      for await (const chunk of request) text += chunk;
      const url = new URL(request.url!, 'http://supervisor');
      const { key, keyIn } = keyOf(request, url);
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const logged: SupervisorRequest = { method: request.method!, path: url.pathname, keyIn, body, status: 0 };
      requests.push(logged);
      if (supervisor.down) {
        request.socket.destroy();
        return;
      }
      let reply: Reply;
      if (key !== apiKey) reply = { status: 401, body: 'Unauthorized' };
      else if (
        failures.count > 0 &&
        url.pathname.startsWith('/v1/devices') &&
        (failures.method === undefined || failures.method === request.method)
      ) {
        failures.count--;
        reply = { status: failures.status, body: { error: 'failing on purpose' } };
      } else if (options.dependentDeviceApi === false) reply = unknownRoute(request.method!, url.pathname);
      else if (typeof body === 'string') reply = { status: 400, body: { error: 'body is not JSON' } };
      else reply = route(request.method!, url.pathname, body);
      logged.status = reply.status;
      response.writeHead(reply.status, {
        'content-type':
          typeof reply.body !== 'string' ? 'application/json' : reply.html ? 'text/html; charset=utf-8' : 'text/plain',
      });
      response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const supervisor: FakeSupervisor = {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    devices,
    requests,
    apps,
    hooks,
    get hookAddress() {
      return hookAddress;
    },
    set hookAddress(address: string | undefined) {
      hookAddress = address;
      for (const [uuid, device] of devices) if (device.deleted || device.target) scheduleHook(uuid);
    },
    down: false,
    failNext: (count, status, method) => (failures = { count, status, ...(method && { method }) }),
    markDeleted: (uuid) => {
      const device = devices.get(uuid);
      if (!device) return;
      device.deleted = true;
      scheduleHook(uuid);
    },
    setTarget: (uuid, target) => {
      const device = devices.get(uuid);
      if (!device) return;
      device.target = { commit: target.commit, environment: target.environment ?? {}, config: target.config ?? {} };
      scheduleHook(uuid);
    },
    async hook(hookAddress, method, uuid, { suffix = '', body, rawBody } = {}) {
      const text = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
      const response = await fetch(`${hookAddress}${uuid}${suffix}`, {
        method,
        ...(text !== undefined && { headers: { 'content-type': 'application/json' }, body: text }),
      });
      return { status: response.status, body: await response.text() };
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const state of hookTimers.values()) clearTimeout(state.timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return supervisor;
}
