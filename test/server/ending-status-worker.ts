// The status server's thread (engine/server/status-worker.ts), ending itself right after it
// says it listens, the first time it runs: the first time is the one that finds no file at
// ENDING_STATUS_WORKER_MARKER, and leaves one there.
import { existsSync, writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

const marker = process.env.ENDING_STATUS_WORKER_MARKER!;
const first = !existsSync(marker);
if (first) writeFileSync(marker, '');
const engine = parentPort!;
const post = engine.postMessage.bind(engine);
engine.postMessage = (message: { type?: string }) => {
  post(message);
  if (first && message.type === 'listening') setImmediate(() => process.exit(7));
};
await import('../../engine/server/status-worker.js');
