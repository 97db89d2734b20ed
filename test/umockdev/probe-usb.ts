/*
 * A process under test for usb-testbed.test.ts: started with testbed.env(), it loads the real
 * `usb` package (libusb) and Node's fs inside the simulated kernel and reports what they see.
 *
 * Protocol: one JSON command per stdin line, one JSON line per answer or event on stdout.
 *   {"cmd":"list"}                      -> {"reply":"list","devices":[...]}
 *   {"cmd":"hotplug"}                   -> {"reply":"hotplug"}, then {"event":"attach"|"detach","device":{...}}
 *   {"cmd":"watch","path":"/dev/bus/usb/001"} -> {"reply":"watch",...}, then {"event":"watch",...}
 *   {"cmd":"fs","sysname":"1-1.4","devnode":"/dev/bus/usb/001/002"} -> {"reply":"fs","results":{...}}
 *   {"cmd":"quit"}                      -> exits
 * It prints {"event":"ready"} once `usb` is loaded (libusb's uevent monitor is then listening).
 */
import fs from 'node:fs';
import { createInterface } from 'node:readline';
import { getDeviceList, usb, type Device } from 'usb';

const hex4 = (n: number) => n.toString(16).padStart(4, '0');
const out = (message: unknown) => process.stdout.write(JSON.stringify(message) + '\n');

function describe(device: Device) {
  const d = device.deviceDescriptor;
  let interfaces: unknown;
  try {
    interfaces = (device.configDescriptor?.interfaces ?? []).map((alternates) => {
      const first = alternates[0]!;
      return {
        number: first.bInterfaceNumber,
        class: first.bInterfaceClass,
        subclass: first.bInterfaceSubClass,
        protocol: first.bInterfaceProtocol,
        endpoints: first.endpoints.map((endpoint) => endpoint.bEndpointAddress),
      };
    });
  } catch (error) {
    interfaces = `error: ${(error as Error).message}`;
  }
  return {
    busNumber: device.busNumber,
    deviceAddress: device.deviceAddress,
    portNumbers: device.portNumbers ?? null,
    idVendor: hex4(d.idVendor),
    idProduct: hex4(d.idProduct),
    bcdDevice: hex4(d.bcdDevice),
    deviceClass: d.bDeviceClass,
    stringIndexes: [d.iManufacturer, d.iProduct, d.iSerialNumber],
    interfaces,
  };
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string };
function attempt(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    return { ok: false, code: failure.code ?? failure.message };
  }
}
async function attemptAsync(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    return { ok: false, code: failure.code ?? failure.message };
  }
}

function namesOf(directory: fs.Dir): string[] {
  const names: string[] = [];
  for (let entry = directory.readSync(); entry; entry = directory.readSync()) names.push(entry.name);
  directory.closeSync();
  return names.sort();
}

async function fsProbe(sysname: string, devnode: string): Promise<Record<string, Outcome>> {
  const bus = '/sys/bus/usb/devices';
  const device = `${bus}/${sysname}`;
  const attribute = `${device}/idVendor`;
  const devDir = devnode.slice(0, devnode.lastIndexOf('/'));
  const kind = (stats: fs.Stats) => ({
    dir: stats.isDirectory(),
    file: stats.isFile(),
    link: stats.isSymbolicLink(),
    char: stats.isCharacterDevice(),
    size: stats.size,
  });
  return {
    readFileSync: attempt(() => fs.readFileSync(attribute, 'utf8')),
    'promises.readFile': await attemptAsync(() => fs.promises.readFile(attribute, 'utf8')),
    'openSync+readSync': attempt(() => {
      const fd = fs.openSync(attribute, 'r');
      const buffer = Buffer.alloc(64);
      const n = fs.readSync(fd, buffer, 0, 64, 0);
      fs.closeSync(fd);
      return buffer.subarray(0, n).toString('utf8');
    }),
    existsSync: attempt(() => fs.existsSync(device)),
    'existsSync(attribute)': attempt(() => fs.existsSync(attribute)),
    accessSync: attempt(() => (fs.accessSync(attribute, fs.constants.R_OK), true)),
    readlinkSync: attempt(() => fs.readlinkSync(device)),
    'promises.readlink': await attemptAsync(() => fs.promises.readlink(device)),
    'realpathSync.native': attempt(() => fs.realpathSync.native(device)),
    realpathSync: attempt(() => fs.realpathSync(device)),
    'promises.realpath': await attemptAsync(() => fs.promises.realpath(device)),
    opendirSync: attempt(() => namesOf(fs.opendirSync(bus))),
    'promises.opendir': await attemptAsync(async () => {
      const names: string[] = [];
      for await (const entry of await fs.promises.opendir(bus)) names.push(entry.name);
      return names.sort();
    }),
    readdirSync: attempt(() => fs.readdirSync(bus).sort()),
    'promises.readdir': await attemptAsync(async () => (await fs.promises.readdir(bus)).sort()),
    statSync: attempt(() => kind(fs.statSync(device))),
    lstatSync: attempt(() => kind(fs.lstatSync(device))),
    'statSync(attribute)': attempt(() => kind(fs.statSync(attribute))),
    'opendirSync(dev)': attempt(() => namesOf(fs.opendirSync(devDir))),
    'readdirSync(dev)': attempt(() => fs.readdirSync(devDir).sort()),
    'existsSync(devnode)': attempt(() => fs.existsSync(devnode)),
    'readFileSync(devnode)': attempt(() => fs.readFileSync(devnode).toString('hex')),
    'statSync(devnode)': attempt(() => kind(fs.statSync(devnode))),
  };
}

const watchers: fs.FSWatcher[] = [];
let hotplug = false;

async function handle(command: Record<string, unknown>): Promise<void> {
  switch (command.cmd) {
    case 'list':
      out({ reply: 'list', devices: getDeviceList().map(describe) });
      return;
    case 'hotplug':
      if (!hotplug) {
        hotplug = true;
        usb.on('attach', (device) => out({ event: 'attach', device: describe(device) }));
        usb.on('detach', (device) => out({ event: 'detach', device: describe(device) }));
      }
      out({ reply: 'hotplug' });
      return;
    case 'watch': {
      const where = String(command.path);
      try {
        const watcher = fs.watch(where, (type, filename) => out({ event: 'watch', path: where, type, filename }));
        watcher.on('error', (error) => out({ event: 'watch-error', path: where, message: error.message }));
        watchers.push(watcher);
        out({ reply: 'watch', path: where, ok: true });
      } catch (error) {
        out({ reply: 'watch', path: where, ok: false, code: (error as NodeJS.ErrnoException).code });
      }
      return;
    }
    case 'fs':
      out({ reply: 'fs', results: await fsProbe(String(command.sysname), String(command.devnode)) });
      return;
    case 'quit':
      for (const watcher of watchers) watcher.close();
      usb.removeAllListeners('attach');
      usb.removeAllListeners('detach');
      process.stdin.destroy();
      return;
    default:
      out({ reply: 'error', message: `unknown command ${String(command.cmd)}` });
  }
}

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  queue = queue
    .then(() => handle(JSON.parse(line) as Record<string, unknown>))
    .catch((error: unknown) => {
      out({ reply: 'error', message: String(error) });
    });
});
out({ event: 'ready', pid: process.pid, umockdev: process.env.UMOCKDEV_DIR ?? null });
