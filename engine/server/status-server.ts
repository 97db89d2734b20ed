import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/log.js';
import { isLoopback } from '../core/loopback.js';
import type { DeviceStatus, ProfilesStatus, StatusSummary } from './status-data.js';
import type { StatusQuestion, StatusReply, StatusServerOptions } from './status-http.js';
import type { FromStatusThread, StatusThreadData, ToStatusThread } from './status-messages.js';
import { Answer } from './status-snapshot.js';

export type { StatusServerOptions } from './status-http.js';

/**
 * What the status server shows. `healthy` and `metrics` are called per request; `summary`,
 * `devices` and `profiles` at most once per snapshot window (see status-snapshot.ts), however
 * many clients ask.
 */
export interface StatusProvider {
  summary(): StatusSummary;
  healthy(): boolean;
  devices(): DeviceStatus[];
  profiles(): ProfilesStatus;
  metrics(): string;
}

/** A running status server. */
export interface StatusServer {
  /** The port it listens on: the chosen free one for port 0. */
  readonly port: number;
  /** Stops listening and ends the open connections. */
  close(): Promise<void>;
}

/** The engine's answer to the status server's question; throws what the provider throws. */
function replyTo(provider: StatusProvider, question: StatusQuestion): StatusReply {
  switch (question) {
    case 'summary':
      return { json: Answer.text(provider.summary()) };
    case 'devices':
      return { json: Answer.text(provider.devices()) };
    case 'profiles':
      return { json: Answer.text(provider.profiles()) };
    case 'healthy':
      return { healthy: provider.healthy() };
    case 'metrics':
      return { text: provider.metrics() };
  }
}

/**
 * The status server's thread (status-worker.ts), seen from the engine's: answers its questions
 * from the provider, writes its log lines, and starts it again on the same port should it end
 * on its own.
 */
class StatusThread implements StatusServer {
  private worker!: Worker;
  private closing = false;

  private constructor(
    private readonly provider: StatusProvider,
    private readonly host: string,
    private boundPort: number,
    private readonly log: Logger,
    private readonly options: StatusServerOptions,
    private readonly module: URL,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  static async start(
    provider: StatusProvider,
    host: string,
    port: number,
    log: Logger,
    options: StatusServerOptions,
    module: URL,
  ): Promise<StatusThread> {
    const thread = new StatusThread(provider, host, port, log, options, module);
    await thread.listen();
    return thread;
  }

  async close(): Promise<void> {
    this.closing = true;
    // Node gives an ended thread the id -1.
    if (this.worker.threadId === -1) return;
    const ended = new Promise((resolve) => this.worker.once('exit', resolve));
    this.send({ type: 'close' });
    await ended;
  }

  /** Starts the thread; resolves once it listens, rejects with why it could not. */
  private listen(): Promise<void> {
    const workerData: StatusThreadData = { host: this.host, port: this.boundPort, options: this.options };
    const worker = new Worker(this.module, { workerData });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on('message', (message: FromStatusThread) => {
        if (message.type === 'listening') {
          listening = true;
          this.boundPort = message.port;
          resolve();
        } else if (message.type === 'refused') {
          reject(Object.assign(new Error(message.message), { code: message.code }));
        } else if (message.type === 'ask') {
          this.answer(message.id, message.question, message.path);
        } else if (message.path === undefined) {
          this.log.error('status server error; it goes on listening', { error: message.message });
        } else {
          this.log.error('status request failed', { path: message.path, error: message.message });
        }
      });
      worker.on('error', (error) => {
        if (listening) this.log.error('status server thread failed', { error: error.message });
        else reject(error);
      });
      worker.once('exit', (code) => {
        if (!listening) reject(new Error(`the status server's thread ended (${code}) before it listened`));
        else if (!this.closing) this.restart(code);
      });
    });
  }

  private restart(code: number): void {
    this.log.error('status server thread ended; starting it again', { code, port: this.boundPort });
    this.listen().catch((error: unknown) => {
      if (!this.closing)
        this.log.error('status server could not be started again', { error: (error as Error).message });
    });
  }

  private answer(id: number, question: StatusQuestion, path: string): void {
    let reply: StatusReply;
    try {
      reply = replyTo(this.provider, question);
    } catch (error) {
      this.log.error('status request failed', { path, error: (error as Error).message });
      return this.send({ type: 'reply', id });
    }
    this.send({ type: 'reply', id, reply });
  }

  private send(message: ToStatusThread): void {
    this.worker.postMessage(message);
  }
}

/**
 * The status server on `host:port` (the gateway convention is port 6769), on a thread of its
 * own (status-worker.ts). Resolves once it listens; rejects as `listen` would (`EADDRINUSE`).
 */
export async function startStatusServer(
  provider: StatusProvider,
  host: string,
  port: number,
  log: Logger,
  options: StatusServerOptions = {},
  /** The thread's module: status-worker.js; a test gives one that wraps it. */
  module = new URL('./status-worker.js', import.meta.url),
): Promise<StatusServer> {
  const server = await StatusThread.start(provider, host, port, log, options, module);
  if (!options.token && !isLoopback(host)) {
    log.warn(
      'the status server is reachable from the network without a token: device facts and backend errors are readable by anyone who can reach it; set status.token in the config or ENGINE_STATUS_TOKEN',
      { host },
    );
  }
  return server;
}

const escapeLabel = (label: string) => label.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([key, label]) => `${key}="${escapeLabel(label)}"`)
    .join(',');

/** Metric lines in the Prometheus text format. */
export class MetricsText {
  private readonly lines: string[] = [];

  /** Adds one metric family; `samples` pairs label sets with values. */
  add(
    name: string,
    type: 'gauge' | 'counter' | 'histogram',
    help: string,
    samples: [Record<string, string>, number][],
  ): this {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const text = labelText(labels);
      this.lines.push(`${name}${text ? `{${text}}` : ''} ${value}`);
    }
    return this;
  }

  /**
   * Adds a histogram: `buckets` are cumulative counts labelled with `le`, and `totals` give each
   * label set's sum and count.
   */
  addHistogram(
    name: string,
    help: string,
    buckets: [Record<string, string>, number][],
    totals: [Record<string, string>, number, number][],
  ): this {
    this.add(name, 'histogram', help, []);
    for (const [labels, value] of buckets) this.lines.push(`${name}_bucket{${labelText(labels)}} ${value}`);
    for (const [labels, sum, count] of totals)
      this.lines.push(`${name}_sum{${labelText(labels)}} ${sum}`, `${name}_count{${labelText(labels)}} ${count}`);
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
