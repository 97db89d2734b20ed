import http from 'node:http';
import { isIP } from 'node:net';

/** How a description is fetched: every bound a LOCATION server could otherwise stretch. */
export interface DescriptionFetchLimits {
  /** Bytes read from the body at most; a longer one is abandoned, not truncated. */
  maxBytes: number;
  /** Milliseconds from connecting to the last byte; a server that hangs or trickles is cut off. */
  timeoutMs: number;
}

/**
 * Why a LOCATION is not fetched, or the URL to fetch. An announcement's LOCATION is what the
 * sender says it is: pointing it at another host would make the engine connect wherever a
 * datagram asks (another machine, a service on this one behind 127.0.0.1, an interface the
 * config does not allow). So only a plain `http:` URL whose host is the very IPv4 address the
 * announcement came from is fetched; a name, another address, https or credentials are refused
 * and the device is reported from its headers alone.
 */
export function fetchableLocation(location: string | undefined, sender: string): URL | string {
  if (!location) return 'the announcement has no LOCATION';
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return 'LOCATION is not a URL';
  }
  if (url.protocol !== 'http:') return `LOCATION is ${url.protocol} (only http: is fetched)`;
  if (url.username || url.password) return 'LOCATION carries credentials';
  if (isIP(url.hostname) !== 4 || url.hostname !== sender)
    return `LOCATION names ${url.hostname}, not ${sender} where the announcement came from`;
  return url;
}

/**
 * Fetches a description document: one GET, no redirect followed, no keep-alive. The URL's host
 * is the announcing sender, on an allowed interface's subnet, so the connection leaves by that
 * interface. Resolves with the body as text, or with
 * why it could not be had; never rejects.
 */
export function fetchDescription(
  url: URL,
  limits: DescriptionFetchLimits,
  signal: AbortSignal,
): Promise<{ text: string } | { failed: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: { text: string } | { failed: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      request.destroy();
      resolve(result);
    };
    const request = http.get(url, {
      agent: false,
      headers: { accept: 'text/xml' },
      maxHeaderSize: 8192,
      signal,
    });
    // The whole exchange, not only idle time: a server sending one byte a second never idles.
    const deadline = setTimeout(
      () => finish({ failed: `no whole answer in ${limits.timeoutMs} ms` }),
      limits.timeoutMs,
    );
    request.on('error', (error) => finish({ failed: error.message }));
    request.on('response', (response) => {
      response.on('error', (error) => finish({ failed: error.message }));
      if (response.statusCode !== 200) return finish({ failed: `HTTP ${response.statusCode}` });
      const declared = Number(response.headers['content-length']);
      if (declared > limits.maxBytes) return finish({ failed: `declares ${declared} bytes, over ${limits.maxBytes}` });
      const chunks: Buffer[] = [];
      let length = 0;
      response.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > limits.maxBytes) return finish({ failed: `over ${limits.maxBytes} bytes` });
        chunks.push(chunk);
      });
      response.on('end', () => finish({ text: Buffer.concat(chunks).toString('utf8') }));
    });
  });
}
