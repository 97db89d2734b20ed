// The status server's thread (started by status-server.ts): serves HTTP (status-http.ts) and
// asks the engine's thread for what it shows. Node accepts one new connection per turn of a
// thread's event loop (libuv 1.45 and later), and during a burst of devices a turn of the
// engine's thread takes milliseconds: on that thread, hundreds of clients connecting at once
// waited hundreds of milliseconds to be accepted. This thread's turns are short.
import { parentPort, workerData } from 'node:worker_threads';
import type { Server } from 'node:http';
import { serveStatus, UnansweredError, type StatusReply, type StatusSource } from './status-http.js';
import type { FromStatusThread, StatusThreadData, ToStatusThread } from './status-messages.js';

const engine = parentPort!;
const { host, port, options } = workerData as StatusThreadData;
const post = (message: FromStatusThread) => engine.postMessage(message);

const waiting = new Map<number, { resolve: (reply: StatusReply) => void; reject: (error: Error) => void }>();
let nextQuestion = 0;
const source: StatusSource = {
  ask: (question, path) =>
    new Promise((resolve, reject) => {
      const id = nextQuestion++;
      waiting.set(id, { resolve, reject });
      post({ type: 'ask', id, question, path });
    }),
  failed: (path, message) => post({ type: 'failed', path, message }),
};

let served: Server | undefined;
let closing = false;

/** Stops listening, ends the connections and the thread (its loop has nothing left to do). */
function close(): void {
  closing = true;
  served?.close();
  served?.closeAllConnections();
  engine.close();
}

engine.on('message', (message: ToStatusThread) => {
  if (message.type === 'close') return close();
  const question = waiting.get(message.id);
  waiting.delete(message.id);
  if (message.reply) question?.resolve(message.reply);
  else question?.reject(new UnansweredError('the engine could not answer'));
});

serveStatus(source, host, port, options).then(
  (listening) => {
    served = listening.server;
    // Asked to close while it was starting: it ends at once.
    if (closing) return close();
    post({ type: 'listening', port: listening.port });
  },
  (error: NodeJS.ErrnoException) => {
    post({ type: 'refused', code: error.code, message: error.message });
    engine.close();
  },
);
