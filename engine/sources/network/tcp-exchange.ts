import { connect } from 'node:net';
import type { TcpFacts, TcpProbe } from './tcp-block.js';

/** How one probe of one host:port ended. */
export type TcpOutcome =
  /** The reply matched; `address` is the peer's address as connected. */
  | { kind: 'matched'; facts: Pick<TcpFacts, 'response' | 'hex' | 'groups' | 'modbus'>; address: string }
  /** Something answered, but not what the probe expects (in time, within the byte cap). */
  | { kind: 'no-match'; reason: string }
  /** Nothing could be asked: refused, unreachable, no connection in time. */
  | { kind: 'failed'; reason: string };

/**
 * Probes `host` once: connects (within `connectTimeoutMs`), writes the probe's bytes, and reads
 * until its reply is judged, `maxReplyBytes` are read, `timeoutMs` passes after the connection,
 * the peer closes, or `signal` aborts. The socket is always destroyed at the end, and at most the
 * cap plus one received chunk is ever held. Never rejects.
 */
export function exchangeTcp(
  host: string,
  probe: TcpProbe,
  connectTimeoutMs: number,
  signal?: AbortSignal,
): Promise<TcpOutcome> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ kind: 'failed', reason: 'stopped' });
    const socket = connect({ host, port: probe.port, noDelay: true });
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    let timer = setTimeout(
      () => finish({ kind: 'failed', reason: `no connection within ${connectTimeoutMs} ms` }),
      connectTimeoutMs,
    );
    const finish = (outcome: TcpOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('data');
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => finish({ kind: 'failed', reason: 'stopped' });
    const read = () => (length ? ` (${length} bytes read)` : '');
    socket.on('connect', () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => finish({ kind: 'no-match', reason: `no matching reply within ${probe.timeoutMs} ms${read()}` }),
        probe.timeoutMs,
      );
      if (probe.request.length) socket.write(probe.request);
    });
    socket.on('data', (chunk: Buffer) => {
      const room = probe.maxReplyBytes - length;
      chunks.push(chunk.subarray(0, room));
      length += Math.min(chunk.length, room);
      const reply = Buffer.concat(chunks);
      const verdict = probe.judge(reply);
      if (verdict.kind === 'matched')
        finish({ kind: 'matched', facts: verdict.facts, address: socket.remoteAddress ?? host });
      else if (verdict.kind === 'refused') finish({ kind: 'no-match', reason: verdict.reason });
      else if (length >= probe.maxReplyBytes)
        finish({ kind: 'no-match', reason: `${length} bytes without a matching reply` });
    });
    socket.on('end', () => finish({ kind: 'no-match', reason: `closed without a matching reply${read()}` }));
    // A peer that resets after answering in full was already judged on 'data'.
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish({ kind: 'failed', reason: error.code ?? error.message }),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
