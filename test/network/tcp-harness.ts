import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../engine/core/log.js';
import type { Announcement, DiscoveryContext } from '../../engine/sources/network/discovery.js';

/** Polls `holds` until it is true; the bound only turns a hang into a failure. */
export async function waitUntil(what: string, holds: () => boolean, boundMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!holds()) {
    if (Date.now() - started > boundMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A DiscoveryContext that records what a protocol says, as the network source would hear it. */
export interface RecordingContext extends DiscoveryContext {
  /** The last announcement of each id, with when it came. */
  readonly last: Map<string, { announcement: Announcement; at: number }>;
  /** How many times each id was heard. */
  readonly counts: Map<string, number>;
  readonly leftIds: string[];
  /** Whether an id was heard and is still fresh. */
  fresh(id: string): boolean;
  /** The hosts heardHosts() answers; how many times it was asked (once per probe round). */
  heardList: string[];
  heardHostsCalls: number;
  logged: Record<string, unknown>[];
}

export function recordingContext(): RecordingContext {
  const logged: Record<string, unknown>[] = [];
  const context: RecordingContext = {
    last: new Map(),
    counts: new Map(),
    leftIds: [],
    heardList: [],
    heardHostsCalls: 0,
    logged,
    log: createLogger('debug', (line) => logged.push(JSON.parse(line) as Record<string, unknown>)),
    interfaceAddresses: ['127.0.0.1'],
    onLink: () => true,
    heard(announcement) {
      context.last.set(announcement.id, { announcement, at: Date.now() });
      context.counts.set(announcement.id, (context.counts.get(announcement.id) ?? 0) + 1);
    },
    left(_protocol, id) {
      context.leftIds.push(id);
    },
    heardHosts() {
      context.heardHostsCalls++;
      return context.heardList;
    },
    fresh(id) {
      const last = context.last.get(id);
      return last !== undefined && Date.now() < last.at + last.announcement.freshMs;
    },
  };
  return context;
}

/** A misbehaving TCP peer on 127.0.0.1, counting what it did. */
export interface HostilePeer {
  port: number;
  connections: number;
  /** Bytes the peer got written into its sockets (flood only). */
  written: number;
  close(): Promise<void>;
}

export type Hostility = 'silent' | 'flood' | 'closes' | 'bad-modbus';

const FLOOD_BYTES = 100 * 1024 * 1024;

/** Writes up to 100 MB, as fast as the reader takes it, until the reader goes. */
function flood(socket: Socket, peer: HostilePeer): void {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const more = () => {
    while (peer.written < FLOOD_BYTES && !socket.destroyed) {
      peer.written += chunk.length;
      if (!socket.write(chunk)) return void socket.once('drain', more);
    }
  };
  more();
}

/** Starts a peer that never answers, floods 100 MB, closes at once, or answers a malformed Modbus frame. */
export async function startHostilePeer(hostility: Hostility): Promise<HostilePeer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    peer.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (hostility === 'closes') socket.destroy();
    if (hostility === 'flood') flood(socket, peer);
    // A frame that announces 17 objects in 9 bytes, then a length beyond any frame.
    if (hostility === 'bad-modbus')
      socket.once('data', () => socket.write(Buffer.from('000100000009ff2b0e0183000011000501ffffff', 'hex')));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const peer: HostilePeer = {
    port: (server.address() as { port: number }).port,
    connections: 0,
    written: 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
  return peer;
}
