// What the engine's thread and the status server's thread (status-worker.ts) tell each other.
import type { StatusQuestion, StatusReply, StatusServerOptions } from './status-http.js';

/** What the status server's thread is started with. */
export interface StatusThreadData {
  host: string;
  port: number;
  options: StatusServerOptions;
}

/** From the status server's thread to the engine's. */
export type FromStatusThread =
  | { type: 'listening'; port: number }
  /** It could not listen (the port is in use, the address is not this machine's). */
  | { type: 'refused'; code: string | undefined; message: string }
  | { type: 'ask'; id: number; question: StatusQuestion; path: string }
  /** A request failed on its side, for the engine's log. */
  | { type: 'failed'; path: string | undefined; message: string };

/** From the engine's thread to the status server's: an answer (none when it could not), or stop. */
export type ToStatusThread = { type: 'reply'; id: number; reply?: StatusReply } | { type: 'close' };
