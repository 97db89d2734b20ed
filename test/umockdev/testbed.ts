/*
 * Drives a umockdev testbed (a simulated sysfs, /dev and uevent stream) from TypeScript tests.
 *
 * The testbed lives in a Python helper, test/umockdev/ctl.py, started under umockdev-wrapper and
 * spoken to over stdin/stdout (one JSON line each way). The process under test is NOT a child of
 * that helper: the test starts it itself with `testbed.env()` (LD_PRELOAD of umockdev's preload
 * library plus UMOCKDEV_DIR), which is all umockdev-wrapper would have given it. See README.md.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../paths.js';

/** The Python helper (a source file: it is not compiled into dist/). */
export const CTL_PY = path.join(ROOT, 'test', 'umockdev', 'ctl.py');
/** Fixture devices in umockdev's text format. */
export const DEVICES_DIR = path.join(ROOT, 'test', 'umockdev', 'devices');
/** The interpreter that has python3-gi (Debian's); a virtualenv python usually lacks `gi`. */
export const PYTHON = '/usr/bin/python3';
/** The preload library umockdev-wrapper puts in LD_PRELOAD. */
export const PRELOAD = 'libumockdev-preload.so.0';

/** One interface of a simulated USB device. */
export interface UsbInterfaceSpec {
  /** bInterfaceClass, e.g. 0x02 Communications, 0x0e Video, 0x03 HID, 0xff Vendor Specific. */
  class: number;
  subclass?: number;
  protocol?: number;
  /** The kernel driver bound to it (`driver` link, DRIVER=): cdc_acm, ftdi_sio, uvcvideo... */
  driver?: string;
  /** bInterfaceNumber; defaults to the index in the list. */
  number?: number;
  /** Bulk endpoints to describe (alternating IN/OUT); default 0. */
  endpoints?: number;
  /** The `interface` string attribute. */
  name?: string;
}

/** A simulated USB device; everything but port, vendorId and productId is optional. */
export interface UsbDeviceSpec {
  /** The sysfs name, which is the port path: "1-1.4" is bus 1, port 4 of the hub on port 1. */
  port: string;
  /** "1546", "0x1546" or 0x1546. */
  vendorId: string | number;
  productId: string | number;
  /** Must match the port's bus when given. */
  bus?: number;
  /** Device address 1..127; default the lowest free from 2 on that bus. */
  devnum?: number;
  /** Default "0100". */
  bcdDevice?: string | number;
  /** Default "0200". */
  bcdUSB?: string | number;
  /** String attributes; absent means no attribute and a zero string index in the descriptor. */
  manufacturer?: string;
  product?: string;
  serial?: string;
  deviceClass?: number;
  deviceSubClass?: number;
  deviceProtocol?: number;
  /** Mbit/s as in sysfs `speed`; default 480. */
  speed?: number;
  /** Default: one Vendor Specific (0xff) interface without driver. */
  interfaces?: UsbInterfaceSpec[];
  /** Extra udev properties (E: lines, written to the device's `uevent` file). */
  properties?: Record<string, string>;
  /** Add it without any uevent reaching the processes under test (no libusb hotplug event). */
  quiet?: boolean;
}

export interface AddedUsbDevice {
  /** "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1.4" */
  path: string;
  /** "1-1.4", the name under /sys/bus/usb/devices */
  sysname: string;
  busnum: number;
  devnum: number;
  /** "/dev/bus/usb/001/005" */
  devnode: string;
  /** The interfaces' sysfs paths. */
  interfaces: string[];
  /** Everything added, parents first: the controller, root hub and hubs when they were missing. */
  added: string[];
}

/** How a simulated serial device answers on its tty (see SimulatedTty in ctl.py). */
export interface TtyResponder {
  /** Written again and again, e.g. NMEA sentences. */
  stream?: { text?: string; hex?: string; intervalMs?: number };
  /** Once what was received matches `match` (a regex over Latin-1), answer after delayMs. */
  replies?: { match: string; text?: string; hex?: string; delayMs?: number }[];
  /** Random bytes forever. */
  flood?: { bytes?: number; intervalMs?: number };
}

/** A tty below an added USB device's interface, backed by a pty the helper drives. */
export interface TtySpec {
  /** ttyUSB<n> (a usb-serial port device between interface and tty) or ttyACM<n> (cdc_acm). */
  name: string;
  /** The USB device's /sys/devices/... path, as addUsbDevice returned it. */
  usb: string;
  /** Its interface number (default 0); the interface must exist. */
  interface?: number;
  /** Default cdc_acm for ttyACM, ftdi_sio for ttyUSB. */
  driver?: string;
  /** Names of the /dev/serial/by-id and by-path links udev would make. */
  byId?: string;
  byPath?: string;
  responder?: TtyResponder;
  quiet?: boolean;
  /** Give the tty modem lines (DTR, RTS), which a pty lacks: see modem_lines.py; read them with ttyLines. */
  modemLines?: boolean;
}

/** A tty's modem lines (one added with `modemLines: true`), as modem_lines.py keeps them. */
export interface TtyLines {
  dtr: boolean;
  rts: boolean;
  /** Every change: `open` is the tty layer raising DTR and RTS on open, `ioctl` a process setting them. */
  history: { by: 'open' | 'ioctl'; dtr: boolean; rts: boolean }[];
  /** DTR's level each time bytes written by the process under test arrived. */
  dtrAtBytes: boolean[];
  /** Whether HUPCL is set in the port's termios (lines dropped on the last close). */
  hupcl: boolean;
}

export interface Testbed {
  /** The testbed's root directory ($UMOCKDEV_DIR): root/sys is the fake /sys, root/dev the fake /dev. */
  readonly root: string;
  /** The environment a child process needs to see the testbed: `base` (default process.env) plus
   *  LD_PRELOAD=libumockdev-preload.so.0 and UMOCKDEV_DIR=root. */
  env(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** child_process.spawn with `env()` merged into options.env. */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Plugs a USB device in (creating the root hub and hubs its port path needs). */
  addUsbDevice(spec: UsbDeviceSpec): Promise<AddedUsbDevice>;
  /** Adds the devices of a .umockdev file (parents first; ones already present are skipped). */
  addFromFile(file: string, options?: { quiet?: boolean }): Promise<{ added: string[]; skipped: string[] }>;
  /** Same, from umockdev text. */
  addFromString(text: string, options?: { quiet?: boolean }): Promise<{ added: string[]; skipped: string[] }>;
  /** Unplugs a device and everything below it: "remove" uevents (children first), then deletion. */
  remove(sysfsPath: string, options?: { quiet?: boolean }): Promise<{ removed: string[] }>;
  /** Sends a uevent for an existing device. */
  uevent(sysfsPath: string, action: 'add' | 'remove' | 'change' | 'bind' | 'unbind'): Promise<void>;
  /** The umockdev text add-device would add, without adding it. */
  render(spec: UsbDeviceSpec): Promise<{ text: string; path: string }>;
  /** Adds a tty to a USB device; `pty` is the real /dev/pts/N behind the simulated node. */
  addTty(spec: TtySpec): Promise<{ path: string; node: string; pty: string }>;
  /** What the process under test wrote to the tty so far. */
  ttyReceived(name: string): Promise<Buffer>;
  /** Changes the mode of the pty behind the tty, e.g. '600' then '666'. */
  ttyChmod(name: string, mode: string): Promise<void>;
  /** Sends bytes from the device's end of the tty (Latin-1 text), whatever its responder does. */
  ttyWrite(name: string, text: string): Promise<void>;
  /** The modem lines of a tty added with `modemLines: true`. */
  ttyLines(name: string): Promise<TtyLines>;
  /** Ends the helper and deletes the testbed. Idempotent. */
  close(): Promise<void>;
  /** What the helper wrote on stderr (umockdev warnings, Python tracebacks). */
  stderr(): string;
}

let availability: { reason: string | undefined } | undefined;

/**
 * undefined when umockdev can be used here; otherwise why not, for `test(..., { skip })`.
 * Checks the wrapper, the Debian python3 with gi and UMockdev-1.0, and that the preload loads.
 */
export function umockdevAvailable(): string | undefined {
  if (availability) return availability.reason;
  availability = { reason: probeAvailability() };
  return availability.reason;
}

function probeAvailability(): string | undefined {
  if (process.platform !== 'linux') return `umockdev needs Linux (this is ${process.platform})`;
  if (!existsSync(PYTHON)) return `${PYTHON} is missing (apt-get install python3-gi)`;
  const which = spawnSync('sh', ['-c', 'command -v umockdev-wrapper'], { encoding: 'utf8' });
  if (which.status !== 0)
    return 'umockdev-wrapper is not on PATH (apt-get install umockdev gir1.2-umockdev-1.0 python3-gi udev)';
  const check = spawnSync(
    'umockdev-wrapper',
    [
      PYTHON,
      '-c',
      [
        'import gi',
        "gi.require_version('UMockdev', '1.0')",
        'from gi.repository import UMockdev',
        "assert 'libumockdev-preload' in open('/proc/self/maps').read(), 'preload library not loaded'",
      ].join('\n'),
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (check.error) return `cannot run umockdev-wrapper: ${check.error.message}`;
  if (check.status !== 0) {
    const last = (check.stderr || check.stdout).trim().split('\n').slice(-1)[0] ?? '';
    return `umockdev is not usable (${last || `exit ${check.status}`}); apt-get install umockdev gir1.2-umockdev-1.0 python3-gi udev`;
  }
  return undefined;
}

interface Reply {
  id?: number | null;
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/** Starts ctl.py under umockdev-wrapper and waits until its testbed exists. */
export async function startTestbed(
  options: { startTimeoutMs?: number; commandTimeoutMs?: number } = {},
): Promise<Testbed> {
  const reason = umockdevAvailable();
  if (reason) throw new Error(`umockdev is not available: ${reason}`);
  const commandTimeoutMs = options.commandTimeoutMs ?? 20_000;

  const child = spawn('umockdev-wrapper', [PYTHON, CTL_PY], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // the helper's own environment must not point at another testbed
    env: { ...process.env, UMOCKDEV_DIR: undefined, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });

  let nextId = 1;
  let closing: Promise<void> | undefined;
  const pending = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  let exited: Error | undefined;
  let readyResolve!: (root: string) => void;
  let readyReject!: (error: Error) => void;
  const ready = new Promise<string>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });

  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      stderr += `[ctl.py stdout, not JSON] ${line}\n`;
      return;
    }
    if ('ready' in message) {
      if (message.ready === true && typeof message.root === 'string') readyResolve(message.root);
      else readyReject(new Error(`ctl.py did not start: ${String(message.error)}`));
      return;
    }
    const id = typeof message.id === 'number' ? message.id : undefined;
    const waiter = id === undefined ? undefined : pending.get(id);
    if (!waiter || id === undefined) {
      if (!closing) stderr += `[ctl.py reply without a waiter] ${line}\n`;
      return;
    }
    pending.delete(id);
    clearTimeout(waiter.timer);
    waiter.resolve(message as Reply);
  });

  const closed = new Promise<void>((resolve) => {
    child.on('close', (code, signal) => {
      exited = new Error(`ctl.py exited (code ${code}, signal ${signal}); stderr:\n${stderr.slice(-4000)}`);
      readyReject(exited);
      for (const [id, waiter] of pending) {
        clearTimeout(waiter.timer);
        waiter.reject(exited);
        pending.delete(id);
      }
      resolve();
    });
  });
  child.on('error', (error) => readyReject(error));

  const startTimer = setTimeout(
    () => readyReject(new Error(`ctl.py not ready after ${options.startTimeoutMs ?? 30_000} ms; stderr:\n${stderr}`)),
    options.startTimeoutMs ?? 30_000,
  );
  let root: string;
  try {
    root = await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(startTimer);
  }

  async function call(command: Record<string, unknown>): Promise<Reply> {
    if (exited) throw exited;
    const id = nextId++;
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(
          new Error(
            `ctl.py: no answer to ${JSON.stringify(command)} within ${commandTimeoutMs} ms; stderr:\n${stderr.slice(-4000)}`,
          ),
        );
      }, commandTimeoutMs);
      pending.set(id, { resolve, reject, timer });
    });
    child.stdin!.write(JSON.stringify({ ...command, id }) + '\n');
    const answer = await reply;
    if (!answer.ok) throw new Error(`ctl.py ${String(command.cmd)}: ${answer.error ?? 'failed'}`);
    return answer;
  }

  const testbed: Testbed = {
    root,
    env(base = process.env) {
      const preload = [PRELOAD, ...(base.LD_PRELOAD ?? '').split(/[: ]/).filter((item) => item && item !== PRELOAD)];
      return { ...base, LD_PRELOAD: preload.join(':'), UMOCKDEV_DIR: root };
    },
    spawn(command, args, spawnOptions = {}) {
      return spawn(command, args, { ...spawnOptions, env: testbed.env(spawnOptions.env ?? process.env) });
    },
    async addUsbDevice(spec) {
      const reply = await call({ ...spec, cmd: 'add-device' });
      return {
        path: reply.path as string,
        sysname: reply.sysname as string,
        busnum: reply.busnum as number,
        devnum: reply.devnum as number,
        devnode: reply.devnode as string,
        interfaces: reply.interfaces as string[],
        added: reply.added as string[],
      };
    },
    async addFromFile(file, addOptions = {}) {
      const reply = await call({ cmd: 'add', file: path.resolve(file), quiet: addOptions.quiet ?? false });
      return { added: reply.added as string[], skipped: reply.skipped as string[] };
    },
    async addFromString(text, addOptions = {}) {
      const reply = await call({ cmd: 'add', text, quiet: addOptions.quiet ?? false });
      return { added: reply.added as string[], skipped: reply.skipped as string[] };
    },
    async remove(sysfsPath, removeOptions = {}) {
      const reply = await call({ cmd: 'remove', path: sysfsPath, quiet: removeOptions.quiet ?? false });
      return { removed: reply.removed as string[] };
    },
    async uevent(sysfsPath, action) {
      await call({ cmd: 'uevent', path: sysfsPath, action });
    },
    async render(spec) {
      const reply = await call({ ...spec, cmd: 'render' });
      return { text: reply.text as string, path: reply.path as string };
    },
    async addTty(spec) {
      const reply = await call({ ...spec, cmd: 'add-tty' });
      return { path: reply.path as string, node: reply.node as string, pty: reply.pty as string };
    },
    async ttyReceived(name) {
      return Buffer.from((await call({ cmd: 'tty-received', name })).hex as string, 'hex');
    },
    async ttyChmod(name, mode) {
      await call({ cmd: 'tty-chmod', name, mode });
    },
    async ttyWrite(name, text) {
      await call({ cmd: 'tty-write', name, text });
    },
    async ttyLines(name) {
      const { dtr, rts, history, dtrAtBytes, hupcl } = await call({ cmd: 'tty-lines', name });
      return { dtr, rts, history, dtrAtBytes, hupcl } as TtyLines;
    },
    close() {
      closing ??= (async () => {
        if (!exited) {
          child.stdin!.end(JSON.stringify({ cmd: 'quit', id: nextId++ }) + '\n');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await closed;
          clearTimeout(timer);
        }
      })();
      return closing;
    },
    stderr: () => stderr,
  };
  return testbed;
}
