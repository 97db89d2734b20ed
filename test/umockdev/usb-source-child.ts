/*
 * A process under test for usb-source.test.ts: started with testbed.env(), it runs the engine's
 * UsbSource alone inside the simulated kernel and reports what it emits.
 *
 *   node usb-source-child.js '<UsbSourceOptions as JSON>'
 *
 * stdout, one JSON line each:
 *   {"started": <SourceStatus>, "ms": <how long start() took>}   once start() has resolved
 *   {"event": <DeviceEvent>, "at": <Date.now()>}                   every event, in order
 *   {"reply": "status", "status": <SourceStatus>}                  answer to {"cmd":"status"}
 *   {"reply": "stop"}                                               after {"cmd":"stop"}; then it exits
 * stderr: the source's JSON log lines (debug level).
 */
import { createInterface } from 'node:readline';
import { createLogger } from '../../engine/core/log.js';
import { UsbSource, type UsbSourceOptions } from '../../engine/sources/usb/usb-source.js';

const out = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
const options = JSON.parse(process.argv[2] ?? '{}') as Partial<UsbSourceOptions>;
const log = createLogger('debug').child({ source: 'usb' });
const source = new UsbSource({ emit: (event) => out({ event, at: Date.now() }), log }, options);
const aborter = new AbortController();

const started = performance.now();
await source.start(aborter.signal);
out({ started: source.status(), ms: performance.now() - started });

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as { cmd: string };
  if (command.cmd === 'status') out({ reply: 'status', status: source.status() });
  if (command.cmd === 'stop') {
    aborter.abort();
    void source.stop().then(() => {
      out({ reply: 'stop' });
      process.stdin.destroy();
    });
  }
});
