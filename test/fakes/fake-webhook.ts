// A webhook receiver on loopback that records what it gets and answers what the test says.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answering } from './answering.js';

export interface ReceivedHook {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
  status: number;
}

export interface FakeWebhook {
  url: string;
  received: ReceivedHook[];
  /** Statuses for the next requests, in order; then `status`. */
  queue: number[];
  status: number;
  /** Headers sent with every answer (e.g. Retry-After). */
  answerHeaders: Record<string, string>;
  /** Milliseconds to wait before answering. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startFakeWebhook(): Promise<FakeWebhook> {
  const server = http.createServer(
    answering(async (request, response) => {
      let text = '';
      for await (const chunk of request) text += chunk;
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text.
      }
      const status = hook.queue.shift() ?? hook.status;
      hook.received.push({ method: request.method!, path: request.url!, headers: request.headers, body, status });
      if (hook.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, hook.delayMs));
      if (response.destroyed) return;
      response.writeHead(status, { 'content-type': 'application/json', ...hook.answerHeaders });
      response.end(JSON.stringify(status < 400 ? { ok: true } : { error: `failing with ${status}` }));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const hook: FakeWebhook = {
    url: `http://127.0.0.1:${port}/hooks/devices`,
    received: [],
    queue: [],
    status: 200,
    answerHeaders: {},
    delayMs: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return hook;
}
