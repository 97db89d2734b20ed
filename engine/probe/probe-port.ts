import { setTimeout as sleep } from 'node:timers/promises';
import type { SerialPort } from 'serialport';
import { lazyModule } from '../core/lazy-module.js';
import type { SerialProbe } from '../sources/serial/serial-detect.js';
import { probeWriteBytes, replyMatcher, type ProbeFacts } from './probe-reply.js';
import { applyModemLines, modemLineOpenOptions } from './modem-lines.js';
import { LOCK_FOLDERS, takeSerialLock } from './serial-lock.js';

/** How one probe of one port ended. */
export type ProbeOutcome =
  /** The reply matched `expect`. */
  | { kind: 'matched'; facts: ProbeFacts }
  /** The port answered nothing that matched, in time or within the byte cap. */
  | { kind: 'no-match'; reason: string }
  /** Another program holds the port, or it could not be opened yet: try again later. */
  | { kind: 'busy'; reason: string }
  /** The port could not be probed at all (gone, not a tty). */
  | { kind: 'failed'; reason: string };

export interface ProbePortOptions {
  /** Bytes read before giving up on a match (a device that floods). */
  maxBytes: number;
  /** How long a first open failing with EACCES or EBUSY is retried (udev fixing permissions). */
  openRetryMs: number;
  /** Where UUCP lock files are honoured, and taken (in the first that accepts one). */
  lockFolders: readonly string[];
  signal?: AbortSignal;
  /** Told each time an open fails with EACCES or EBUSY and will be tried again. */
  onOpenRetry?: (reason: string) => void;
  /** Told what the probe did besides talking (no lock file could be taken, the modem lines set), for a debug line. */
  onNote?: (note: string) => void;
}

export const DEFAULT_PROBE_PORT_OPTIONS: ProbePortOptions = {
  maxBytes: 4096,
  openRetryMs: 3000,
  lockFolders: LOCK_FOLDERS,
};

const DEFAULT_TIMEOUT_MS = 2000;
const CLOSE_WAIT_MS = 2000;

type OpenFailure = 'locked' | 'retry' | 'gone' | 'other';

/** EPERM on open, even as root, is a container's device cgroup refusing the tty. */
const DEVICE_CGROUP_HINT =
  " (in a container, allow the device: --device-cgroup-rule='c 188:* rmw' for ttyUSB, 'c 166:* rmw' for ttyACM, 'c 189:* rmw' for USB; see docs/gateway.md)";

/** bindings-cpp reports open errors as text only ("Error: Permission denied, cannot open ..."). */
function classifyOpenError(message: string): OpenFailure {
  if (/cannot lock port|resource temporarily unavailable/i.test(message)) return 'locked';
  if (/permission denied|EACCES|device or resource busy|EBUSY/i.test(message)) return 'retry';
  if (/no such file|ENOENT|no such device|ENXIO|ENODEV/i.test(message)) return 'gone';
  return 'other';
}

type SerialPortClass = typeof SerialPort;

/**
 * `serialport` (its native binding and stream stack) is loaded at the first probe, once: a daemon
 * whose profiles never probe does not carry it. A failed load is kept, and reported by each probe.
 */
const loadSerialPort = lazyModule<SerialPortClass>(async () => (await import('serialport')).SerialPort);

function openPort(SerialPortClass: SerialPortClass, devicePath: string, probe: SerialProbe): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPortClass({
      path: devicePath,
      baudRate: probe.baudRate ?? 9600,
      dataBits: probe.dataBits ?? 8,
      parity: probe.parity ?? 'none',
      stopBits: probe.stopBits ?? 1,
      // flock(LOCK_EX): fails when another program holds the port the same way.
      lock: true,
      ...modemLineOpenOptions(probe),
      autoOpen: false,
    });
    port.open((error) => (error ? reject(error) : resolve(port)));
  });
}

/** Opens, retrying EACCES/EBUSY with a doubling backoff for at most `openRetryMs`. */
async function openWithRetry(
  devicePath: string,
  probe: SerialProbe,
  options: ProbePortOptions,
): Promise<{ port: SerialPort } | ProbeOutcome> {
  const SerialPortClass = await loadSerialPort();
  if (SerialPortClass instanceof Error)
    return { kind: 'failed', reason: `serialport could not be loaded: ${SerialPortClass.message}` };
  const started = Date.now();
  for (let delay = 100; ; delay *= 2) {
    try {
      return { port: await openPort(SerialPortClass, devicePath, probe) };
    } catch (error) {
      const message = (error as Error).message;
      const failure = classifyOpenError(message);
      if (failure === 'locked') return { kind: 'busy', reason: `another program holds ${devicePath} (exclusive lock)` };
      if (failure === 'gone') return { kind: 'failed', reason: `${devicePath} is gone: ${message}` };
      if (failure === 'other')
        return {
          kind: 'failed',
          reason: `cannot open ${devicePath}: ${message}${/operation not permitted|EPERM/i.test(message) ? DEVICE_CGROUP_HINT : ''}`,
        };
      if (Date.now() - started + delay > options.openRetryMs || options.signal?.aborted)
        return { kind: 'busy', reason: `cannot open ${devicePath} yet: ${message}` };
      options.onOpenRetry?.(message);
      await sleep(delay);
    }
  }
}

/** Closes the port; a close that hangs (a wedged driver) is not waited for beyond a bound. */
function closePort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve();
    const guard = setTimeout(resolve, CLOSE_WAIT_MS);
    port.close(() => {
      clearTimeout(guard);
      resolve();
    });
  });
}

/** Writes the probe's bytes and reads until `expect` matches, the byte cap, the timeout or abort. */
function exchange(port: SerialPort, probe: SerialProbe, options: ProbePortOptions): Promise<ProbeOutcome> {
  const matches = replyMatcher(probe.expect);
  const timeoutMs = probe.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (outcome: ProbeOutcome) => {
      clearTimeout(timer);
      port.removeListener('data', onData);
      port.removeListener('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      const room = options.maxBytes - length;
      chunks.push(chunk.subarray(0, room));
      length += Math.min(chunk.length, room);
      const facts = matches(Buffer.concat(chunks));
      if (facts) finish({ kind: 'matched', facts });
      else if (length >= options.maxBytes)
        finish({ kind: 'no-match', reason: `${length} bytes without a matching reply` });
    };
    const onError = (error: Error) => finish({ kind: 'failed', reason: `port error: ${error.message}` });
    const onAbort = () => finish({ kind: 'failed', reason: 'stopped' });
    const timer = setTimeout(
      () =>
        finish({
          kind: 'no-match',
          reason: length
            ? `no matching reply within ${timeoutMs} ms (${length} bytes read)`
            : `no reply within ${timeoutMs} ms`,
        }),
      timeoutMs,
    );
    port.on('data', onData);
    port.on('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const bytes = probeWriteBytes(probe);
    if (bytes.length) port.write(bytes, (error) => error && onError(error));
  });
}

/**
 * Probes one port once: honours and takes its UUCP lock file, opens it exclusively (retrying
 * while permissions settle), sets the modem lines the probe asks for, writes, reads a bounded
 * reply, and always closes the port and removes the lock file. Never throws.
 */
export async function probePort(
  devicePath: string,
  probe: SerialProbe,
  options: ProbePortOptions = DEFAULT_PROBE_PORT_OPTIONS,
): Promise<ProbeOutcome> {
  const lock = await takeSerialLock(devicePath, options.lockFolders);
  if (lock.kind === 'held')
    return {
      kind: 'busy',
      reason: `locked by ${lock.pid === undefined ? 'another process' : `process ${lock.pid}`} (${lock.file})`,
    };
  // Without a lock folder (a container without /run/lock) the port is probed anyway: the
  // exclusive flock still keeps out every program that uses one, and lock files only matter to
  // the UUCP-style tools that would have to share that folder with us.
  if (lock.kind === 'unavailable') options.onNote?.(`probing without a lock file: ${lock.reason}`);
  try {
    const opened = await openWithRetry(devicePath, probe, options);
    if (!('port' in opened)) return opened;
    try {
      const lines = await applyModemLines(opened.port, probe);
      if (lines) options.onNote?.(lines);
      return await exchange(opened.port, probe, options);
    } finally {
      await closePort(opened.port);
    }
  } finally {
    if (lock.kind === 'taken') await lock.release();
  }
}
