/*
 * A process under test for the serial tests: run inside a testbed, it prints (one JSON line) the
 * serial ports the engine's enumeration sees and, when given a path and a probe (JSON), the
 * outcome of probing that path with the engine's own probePort.
 */
import { DEFAULT_PROBE_PORT_OPTIONS, probePort } from '../../engine/probe/probe-port.js';
import { enumerateSerialPorts } from '../../engine/sources/serial-sysfs.js';

const [devicePath, probeJson, optionsJson] = process.argv.slice(2);
const ports = [...enumerateSerialPorts().values()];
const started = Date.now();
const outcome = devicePath && probeJson ? await probePort(devicePath, JSON.parse(probeJson), { ...DEFAULT_PROBE_PORT_OPTIONS, ...JSON.parse(optionsJson ?? '{}') }) : undefined;
process.stdout.write(JSON.stringify({ ports, outcome, elapsedMs: Date.now() - started }) + '\n');
