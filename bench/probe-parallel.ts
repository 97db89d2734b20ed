// Serial probing: how long the engine takes to identify eight ports that each need a one-second
// probe, probing ports in parallel (the default) against one port at a time
// (`sources.serial.probeConcurrency: 1`), under a umockdev testbed (simulated ttys, see
// test/umockdev/README.md).
//
// How: eight CP2102 adapters, each with a tty whose simulated device answers `PING\r` with
// `PONG` after DELAY_MS. The engine runs under the testbed with one profile that probes
// (write `PING\r`, expect `PONG`) and notifies a fake agent. Time to identify = the time of the
// last `serial probe matched` log line minus the time of `serial source started` (both from the
// engine's own log clock). ROUNDS engine starts per setting, median reported; the ratio is
// one-at-a-time over parallel.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeAgent } from '../test/fakes/fake-nuvlabox-agent.js';
import { waitFor, workspace, writeConfig } from '../test/daemon/engine-process.js';
import { startTestbed, umockdevAvailable } from '../test/umockdev/testbed.js';
import type { BenchFigure } from './bench-figure.js';
import { startDaemon } from './engine-daemon.js';
import { median } from './percentile.js';

const PORTS = 8;
const DELAY_MS = 1000;
const ROUNDS = 3;

const PROFILE = `name: pinged
detect:
  usb: { vendorId: "10c4", productId: "ea60" }
  serial:
    path: /dev/ttyUSB*
    probe: { baudRate: 115200, write: "PING\\r", expect: "PONG", timeoutMs: 3000 }
map: { available: true, classes: [bench] }
notify: [{ backend: nuvlabox }]
`;

async function identifyAll(cli: string, concurrency: number): Promise<number> {
  const testbed = await startTestbed();
  const agent = await startFakeAgent();
  const space = workspace();
  try {
    writeConfig(
      space,
      agent.url,
      `sources: { usb: { mode: inotify }, serial: { probeConcurrency: ${concurrency} } }\n`,
    );
    writeFileSync(path.join(space.profiles, 'pinged.yaml'), PROFILE);
    for (let index = 0; index < PORTS; index++) {
      const usb = await testbed.addUsbDevice({
        port: `1-${index + 1}`,
        vendorId: '10c4',
        productId: 'ea60',
        serial: `P${index}`,
        interfaces: [{ class: 0xff, driver: 'cp210x' }],
      });
      await testbed.addTty({
        name: `ttyUSB${index}`,
        usb: usb.path,
        driver: 'cp210x',
        responder: { replies: [{ match: 'PING\\r', text: 'PONG\r\n', delayMs: DELAY_MS }] },
      });
    }
    const daemon = await startDaemon(
      cli,
      ['--profiles', space.profiles, '--config', space.config, '--state', space.state, '--port', '0'],
      testbed.env(),
    );
    try {
      const matched = () => daemon.logs.filter((line) => line.msg === 'serial probe matched');
      await waitFor('every port identified', () => matched().length === PORTS, 60_000);
      const started = Date.parse(String(daemon.logs.find((line) => line.msg === 'serial source started')!.time));
      const last = Math.max(...matched().map((line) => Date.parse(String(line.time))));
      return last - started;
    } finally {
      await daemon.stop();
    }
  } finally {
    await agent.close();
    await testbed.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

export async function run(cli: string): Promise<BenchFigure[]> {
  const names = {
    parallel: `identify ${PORTS} ports with 1 s probes, in parallel`,
    serial: `identify ${PORTS} ports with 1 s probes, one at a time`,
    ratio: 'probe: one at a time / parallel',
  };
  const skipped = umockdevAvailable();
  if (skipped) return Object.values(names).map((name) => ({ name, value: NaN, unit: '', skipped }));
  const parallel: number[] = [];
  const serial: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    parallel.push(await identifyAll(cli, PORTS));
    serial.push(await identifyAll(cli, 1));
  }
  process.stderr.write(
    `probe-parallel rounds: parallel ${parallel.join(', ')} ms; one at a time ${serial.join(', ')} ms\n`,
  );
  const parallelMs = median(parallel);
  const serialMs = median(serial);
  return [
    { name: `${names.parallel} (median of ${ROUNDS})`, value: parallelMs, unit: 'ms' },
    { name: `${names.serial} (median of ${ROUNDS})`, value: serialMs, unit: 'ms' },
    { name: names.ratio, value: serialMs / parallelMs, unit: '×' },
  ];
}
