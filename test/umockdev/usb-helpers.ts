/*
 * Shared by usb-source.test.ts, usb-e2e.test.ts and the USB benchmarks: simulated devices, USB
 * profiles, the engine (or the USB source alone) running under a umockdev testbed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FakeAgent, LoggedRequest } from '../fakes/fake-nuvlabox-agent.js';
import { ROOT } from '../paths.js';
import {
  startEngine,
  waitFor,
  workspace,
  writeConfig,
  type EngineProcess,
  type LogLine,
  type Workspace,
} from '../daemon/engine-process.js';
import type { Testbed, UsbDeviceSpec } from './testbed.js';

export type UsbMode = 'auto' | 'libusb' | 'inotify' | 'polling';

/** A device plugged by `plug`. */
export interface PluggedDevice {
  /** /sys/devices/... */
  path: string;
  /** Its interfaces' sysfs paths. */
  interfaces: string[];
  busnum: number;
  devnum: number;
  /** /dev/bus/usb/BBB/DDD */
  devnode: string;
  /** Date.now() just before the step that tells the engine: the first uevent with `uevents`, else the first node's rename. */
  announcedAt: number;
}

/** umockdev text split into its paragraphs. */
const paragraphsOf = (text: string) =>
  text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean);
const pathOf = (paragraph: string) => `/sys${/^P: (.+)$/m.exec(paragraph)![1]!}`;

/**
 * Plugs a device the way the kernel and udev present one, in one step as far as the engine can
 * tell: the whole sysfs tree (device, interfaces, driver links) is written first without any
 * uevent and without /dev nodes, then the /dev/bus/usb nodes appear (renamed into place), then,
 * with `uevents`, an `add` uevent goes out for each new device. (ctl.py's add-device writes the
 * device, announces it, and only then writes its interfaces: a reader triggered by the
 * announcement can catch it half-written; see the todo tests for what the engine makes of that.)
 */
export async function plug(
  testbed: Testbed,
  spec: UsbDeviceSpec,
  options: { uevents: boolean },
): Promise<PluggedDevice> {
  const { text, path: devicePath } = await testbed.render(spec);
  const paragraphs = paragraphsOf(text);
  const nodes = paragraphs.flatMap((paragraph) => {
    const node = /^N: ([^=\n]+)=([0-9A-Fa-f]*)$/m.exec(paragraph);
    return node ? [{ path: pathOf(paragraph), node: node[1]!, bytes: Buffer.from(node[2]!, 'hex') }] : [];
  });
  const withoutNodes = paragraphs.map((paragraph) =>
    paragraph
      .split('\n')
      .filter((line) => !line.startsWith('N: '))
      .join('\n'),
  );
  await testbed.addFromString(`${withoutNodes.join('\n\n')}\n`, { quiet: true });
  let announcedAt = Date.now();
  for (const { node, bytes } of nodes) {
    const target = path.join(testbed.root, 'dev', node);
    mkdirSync(path.dirname(target), { recursive: true });
    const temporary = path.join(testbed.root, `.node-${path.basename(node)}-${process.pid}`);
    writeFileSync(temporary, bytes);
    renameSync(temporary, target);
  }
  if (options.uevents) {
    announcedAt = Date.now();
    for (const { path: added } of nodes) await testbed.uevent(added, 'add');
  }
  const device = nodes.find((node) => node.path === devicePath)!;
  const [, bus, address] = /bus\/usb\/(\d+)\/(\d+)$/.exec(device.node)!;
  return {
    path: devicePath,
    interfaces: paragraphs.map(pathOf).filter((item) => item.startsWith(`${devicePath}/`)),
    busnum: Number(bus),
    devnum: Number(address),
    devnode: `/dev/${device.node}`,
    announcedAt,
  };
}

/**
 * Unplugs a device plugged by `plug` so that, as with the kernel, its sysfs tree is gone by the
 * time anything is announced: the interfaces go first without uevents (they have no node, and
 * libusb ignores interface events), then the device, with its `remove` uevent when `uevents`.
 * Resolves with Date.now() just before that last step.
 */
export async function unplug(testbed: Testbed, device: PluggedDevice, options: { uevents: boolean }): Promise<number> {
  if (options.uevents) for (const item of device.interfaces) await testbed.remove(item, { quiet: true });
  const startedAt = Date.now();
  await testbed.remove(device.path, { quiet: !options.uevents });
  return startedAt;
}

/** A u-blox 7 GPS receiver: CDC-ACM, two interfaces, strings and a serial number. */
export const GPS: UsbDeviceSpec = {
  port: '1-1.4',
  vendorId: '1546',
  productId: '01a7',
  bcdDevice: '0100',
  deviceClass: 2,
  manufacturer: 'u-blox AG',
  product: 'u-blox 7 - GPS/GNSS Receiver',
  serial: 'GPS-0001',
  interfaces: [
    { class: 0x02, subclass: 0x02, protocol: 0x01, driver: 'cdc_acm' },
    { class: 0x0a, driver: 'cdc_acm', endpoints: 2 },
  ],
};

/** What the USB source should report for GPS at `address`, interfaces in number order. */
export function gpsFacts(address: number) {
  return {
    vendorId: '1546',
    productId: '01a7',
    manufacturer: 'u-blox AG',
    product: 'u-blox 7 - GPS/GNSS Receiver',
    vendorName: 'u-blox AG',
    productName: 'u-blox 7 - GPS/GNSS Receiver',
    serialNumber: 'GPS-0001',
    bcdDevice: '0100',
    deviceClass: '02',
    busNumber: 1,
    deviceAddress: address,
    portPath: '1-1.4',
    devicePath: `/dev/bus/usb/001/${String(address).padStart(3, '0')}`,
    interfaces: [
      {
        number: 0,
        class: '02',
        subclass: '02',
        protocol: '01',
        driver: 'cdc_acm',
        name: null,
        className: 'Communications',
      },
      { number: 1, class: '0a', subclass: '00', protocol: '00', driver: 'cdc_acm', name: null, className: 'CDC Data' },
    ],
    nodes: [],
    net: [],
  };
}

/** A webcam with a microphone and a button: Video, Audio and HID interfaces, listed out of order. */
export const WEBCAM: UsbDeviceSpec = {
  port: '1-3',
  vendorId: '046d',
  productId: '0825',
  bcdDevice: '0012',
  deviceClass: 0xef,
  deviceSubClass: 2,
  deviceProtocol: 1,
  manufacturer: 'Logitech',
  product: 'Webcam C270',
  serial: 'CAFE1234',
  interfaces: [
    { number: 3, class: 0x03, subclass: 0, protocol: 0, driver: 'usbhid' },
    { number: 0, class: 0x0e, subclass: 1, protocol: 0, driver: 'uvcvideo' },
    { number: 1, class: 0x0e, subclass: 2, protocol: 0, driver: 'uvcvideo', endpoints: 1 },
    { number: 2, class: 0x01, subclass: 1, protocol: 0, driver: 'snd-usb-audio' },
  ],
};

/** WEBCAM's interfaces as facts, by number. */
export const WEBCAM_INTERFACES = [
  { number: 0, class: '0e', subclass: '01', protocol: '00', driver: 'uvcvideo', name: null, className: 'Video' },
  { number: 1, class: '0e', subclass: '02', protocol: '00', driver: 'uvcvideo', name: null, className: 'Video' },
  { number: 2, class: '01', subclass: '01', protocol: '00', driver: 'snd-usb-audio', name: null, className: 'Audio' },
  { number: 3, class: '03', subclass: '00', protocol: '00', driver: 'usbhid', name: null, className: 'HID' },
];

/** A device that has nothing but ids: no strings, no serial, one vendor-specific interface without driver. */
export const BARE: UsbDeviceSpec = { port: '1-5', vendorId: '1d50', productId: '6089' };

/**
 * A profile (YAML text) notifying `nuvlabox` that maps every USB fact into NuvlaBox fields:
 * manufacturer → vendor, product, serial → serial-number, devicePath → device-path, the
 * interfaces' class names → classes, and ids, port and address into the description. No
 * identifier: the engine's default (`vid:pid:serial`, else `vid:pid@port`) is used.
 */
export function usbProfile(
  name: string,
  detect: Record<string, unknown>,
  options: { priority?: number; when?: unknown } = {},
): string {
  const detectBlock = { usb: detect, ...(options.when === undefined ? {} : { when: options.when }) };
  return `name: ${name}
${options.priority === undefined ? '' : `priority: ${options.priority}\n`}detect: ${JSON.stringify(detectBlock)}
map:
  name: { if: [{ var: usb.product }, { cat: ["${name}: ", { var: usb.product }] }, { cat: ["${name}: USB device ", { var: usb.vendorId }, ":", { var: usb.productId }] }] }
  description: { cat: [{ var: usb.vendorId }, ":", { var: usb.productId }, " port ", { var: usb.portPath }, " bus ", { var: usb.busNumber }, " address ", { var: usb.deviceAddress }] }
  available: true
  classes: { map: [{ var: usb.interfaces }, { var: className }] }
  interface: USB
  vendor: { var: usb.manufacturer }
  product: { var: usb.product }
  serial-number: { var: usb.serialNumber }
  device-path: { var: usb.devicePath }
notify:
  - backend: nuvlabox
`;
}

/** A workspace whose config points `nuvlabox` at the agent and sets the USB source's settings (mode, hold). */
export function usbWorkspace(
  agent: FakeAgent,
  usb: { mode?: UsbMode; pollIntervalMs?: number; holdMs?: number } = {},
  profiles: Record<string, string> = {},
): Workspace {
  const space = workspace();
  const settings = Object.entries(usb)
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ');
  writeConfig(space, agent.url, settings ? `sources: { usb: { ${settings} } }\n` : '');
  for (const [name, text] of Object.entries(profiles)) writeFileSync(path.join(space.profiles, `${name}.yaml`), text);
  return space;
}

/** The engine under the testbed (test/daemon/engine-process.ts with testbed.env()). */
export function startUsbEngine(testbed: Testbed, space: Workspace): Promise<EngineProcess> {
  return startEngine(space, [], testbed.env());
}

/** The identifiers the agent holds, sorted. */
export const held = (agent: FakeAgent) => [...agent.peripherals.keys()].sort();

/** Requests to /api/peripheral (not the healthcheck), optionally of one method. */
export const peripheralRequests = (agent: FakeAgent, method?: string): LoggedRequest[] =>
  agent.requests.filter(
    (request) => request.path.startsWith('/api/peripheral') && (method === undefined || request.method === method),
  );

/** The identifier a request is about: a POST's body, or the path of a PUT or DELETE. */
export function requestIdentifier(request: LoggedRequest): string | undefined {
  if (request.method === 'POST') return (request.body as { identifier?: string } | undefined)?.identifier;
  const match = /^\/api\/peripheral\/([^/?]+)/.exec(request.path);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

/** The document the agent stores for `identifier`, without the agent's own `parent` and `version`. */
export function documentOf(agent: FakeAgent, identifier: string): Record<string, unknown> | undefined {
  const stored = agent.peripherals.get(identifier);
  if (!stored) return undefined;
  const { parent: _parent, version: _version, ...document } = stored;
  return document;
}

export interface SourceStatusView {
  kind: string;
  mode: string;
  ready: boolean;
  settling?: boolean;
  detail?: string;
}

/** The USB source's entry in the status server's `/`. */
export async function usbStatus(engine: EngineProcess): Promise<SourceStatusView | undefined> {
  const { body } = await engine.get('/');
  return (body as { sources: SourceStatusView[] }).sources.find((source) => source.kind === 'usb');
}

/** One device in the status server's `/devices`. */
export interface DeviceView {
  key: string;
  source: string;
  profile: string | null;
  facts: { usb?: Record<string, unknown> & { nodes?: { devnode: string }[] } };
}

export async function devicesOf(engine: EngineProcess): Promise<DeviceView[]> {
  return (await engine.get('/devices')).body as DeviceView[];
}

/**
 * Whether the engine has nothing left to do of what it saw: no source settling (a look it will
 * take again shortly) and every delivery acknowledged. Once it holds after the last change a test
 * makes, any further request would be one the engine sent unasked: what "nothing more was sent"
 * waits for, rather than for a time.
 */
export async function quiet(engine: EngineProcess): Promise<boolean> {
  const { body } = await engine.get('/');
  const { sources = [], deliveries = {} } = body as {
    sources?: SourceStatusView[];
    deliveries?: Record<string, number>;
  };
  return (
    !sources.some((source) => source.settling) &&
    Object.entries(deliveries).every(([state, count]) => state === 'acknowledged' || count === 0)
  );
}

/** Log lines at warn or error level. */
export const complaints = (logs: readonly LogLine[]) =>
  logs.filter((line) => line.level === 'warn' || line.level === 'error');

export { waitFor };

// ---------------------------------------------------------------------------------------------
// The USB source alone, in a child process under the testbed (usb-source-child.ts)

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'usb-source-child.js');

export interface EmittedEvent {
  action: 'add' | 'change' | 'remove';
  key: string;
  source: string;
  facts: { usb?: Record<string, unknown> & { interfaces?: unknown[] } };
}

type ChildMessage = {
  started?: SourceStatusView;
  ms?: number;
  event?: EmittedEvent;
  at?: number;
  reply?: string;
  status?: SourceStatusView;
};

/** UsbSource running in its own process under the testbed. */
export class SourceChild {
  readonly messages: ChildMessage[] = [];
  readonly logs: LogLine[] = [];
  private stderrText = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  private constructor(testbed: Testbed, options: Record<string, unknown>) {
    this.child = testbed.spawn(process.execPath, [CHILD, JSON.stringify(options)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) =>
      this.messages.push(JSON.parse(line) as ChildMessage),
    );
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderrText += `${line}\n`;
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.logs.push({ level: 'raw', msg: line });
      }
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** Starts the child and resolves once `start()` has resolved in it. */
  static async start(testbed: Testbed, options: Record<string, unknown>): Promise<SourceChild> {
    const child = new SourceChild(testbed, options);
    await child.waitFor('start() to resolve', (message) => message.started !== undefined);
    return child;
  }

  get started(): SourceStatusView {
    return this.messages.find((message) => message.started)!.started!;
  }

  /** The events emitted so far, from the `from`th on. */
  events(from = 0): EmittedEvent[] {
    return this.messages.flatMap((message) => (message.event ? [message.event] : [])).slice(from);
  }

  /** How many events so far: pass it as `from` to look only at later ones. */
  get eventCount(): number {
    return this.events().length;
  }

  async waitFor(what: string, match: (message: ChildMessage) => boolean, timeoutMs = 30_000): Promise<ChildMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(
          `usb source child: timed out waiting for ${what}; got ${JSON.stringify(this.messages)}; stderr:\n${this.stderrText.slice(-3000)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Waits until `count` events have arrived after index `from`. */
  async waitForEvents(what: string, from: number, count: number, timeoutMs = 30_000): Promise<EmittedEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events(from).length < count) {
      if (Date.now() > deadline)
        throw new Error(
          `usb source child: timed out waiting for ${what}; events: ${JSON.stringify(this.events(from))}; stderr:\n${this.stderrText.slice(-3000)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.events(from);
  }

  async status(): Promise<SourceStatusView> {
    const from = this.messages.length;
    this.child.stdin!.write(`${JSON.stringify({ cmd: 'status' })}\n`);
    const deadline = Date.now() + 5_000;
    for (;;) {
      const reply = this.messages.slice(from).find((message) => message.reply === 'status');
      if (reply) return reply.status!;
      if (Date.now() > deadline) throw new Error('usb source child: no status reply');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Calls stop() in the child; resolves with whether the process then exited by itself within `graceMs`. */
  async stop(graceMs = 3_000): Promise<boolean> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return true;
    this.child.stdin!.write(`${JSON.stringify({ cmd: 'stop' })}\n`);
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code === 0;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  stderr(): string {
    return this.stderrText;
  }
}
