/*
 * A process under test for the serial tests: run inside a testbed, it prints (one JSON line) the
 * serial ports the engine's enumeration sees and, when given a path and a probe (JSON), the
 * outcome of probing that path with the engine's own probePort. On stderr, one JSON line per open
 * refused (EACCES, EBUSY) that probePort will try again, and one per note of the probe.
 */
import { DEFAULT_PROBE_PORT_OPTIONS, probePort } from '../../engine/probe/probe-port.js';
import { enumerateSerialPorts } from '../../engine/sources/serial/serial-sysfs.js';

const [devicePath, probeJson, optionsJson] = process.argv.slice(2);
const ports = [...enumerateSerialPorts().values()];
const started = Date.now();
// Each refused open that will be retried, as one line on stderr: what a test waits for.
const onOpenRetry = (reason: string) => process.stderr.write(`${JSON.stringify({ openRetry: reason })}\n`);
// What the probe did besides talking (lock file, modem lines), one line each too.
const onNote = (note: string) => process.stderr.write(`${JSON.stringify({ note })}\n`);
const outcome =
  devicePath && probeJson
    ? await probePort(devicePath, JSON.parse(probeJson), {
        ...DEFAULT_PROBE_PORT_OPTIONS,
        ...JSON.parse(optionsJson ?? '{}'),
        onOpenRetry,
        onNote,
      })
    : undefined;
process.stdout.write(JSON.stringify({ ports, outcome, elapsedMs: Date.now() - started }) + '\n');
