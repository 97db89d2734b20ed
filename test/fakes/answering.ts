import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A request listener for a fake's async handler: a bug in the fake surfaces as a 500 to the test,
 * never as an unhandled rejection that stops the test process.
 */
export function answering(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    handle(request, response).catch((failure: unknown) => {
      if (response.destroyed) return;
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: String(failure) }));
    });
  };
}
