import path from 'node:path';
import type { Facts } from '../../core/facts.js';
import { followLink, listNames, readAttribute, readLink, readString } from '../shared/sysfs.js';
import type { PresentDevice } from '../source.js';
import { defaultUsbNamer, readUsbDevice, USB_DEVICES, type UsbFacts, type UsbNamer } from '../usb/usb-sysfs.js';

export const TTY_CLASS = '/sys/class/tty';
export const SERIAL_LINKS = '/dev/serial';

/** One tty with a hardware device behind it, and its USB parent when it has one. */
export interface SerialPortFacts {
  /** Stable for one port of one physical device: `serial:1-1.4:if00` or `serial:/dev/ttyS0`. */
  key: string;
  serial: NonNullable<Facts['serial']>;
  usb?: UsbFacts;
}

/** A port as the source reports it: its own facts, and its USB parent's under `usb`. */
export function serialDevice(port: SerialPortFacts): PresentDevice {
  return { key: port.key, source: 'serial', facts: { serial: port.serial, ...(port.usb ? { usb: port.usb } : {}) } };
}

export interface SerialSysfsFolders {
  ttyClass: string;
  usbDevices: string;
  serialLinks: string;
  dev: string;
}

export const SYSTEM_FOLDERS: SerialSysfsFolders = {
  ttyClass: TTY_CLASS,
  usbDevices: USB_DEVICES,
  serialLinks: SERIAL_LINKS,
  dev: '/dev',
};

const driverOf = (folder: string) => {
  const target = readLink(path.join(folder, 'driver'));
  return target === null ? null : path.basename(target);
};

/** Where each /dev/serial/by-id or by-path link points, by the tty's device node. */
function serialLinks(folder: string, dev: string): Map<string, { byId?: string; byPath?: string }> {
  const links = new Map<string, { byId?: string; byPath?: string }>();
  for (const [kind, field] of [
    ['by-id', 'byId'],
    ['by-path', 'byPath'],
  ] as const) {
    const linkFolder = path.join(folder, kind);
    for (const name of listNames(linkFolder)) {
      const target = readLink(path.join(linkFolder, name));
      if (target === null) continue;
      const node = path.join(dev, path.basename(target));
      links.set(node, { ...links.get(node), [field]: path.join(SERIAL_LINKS, kind, name) });
    }
  }
  return links;
}

/**
 * The USB interface and device a tty hangs below: walk up from the tty's `device` (the
 * interface itself for cdc_acm, a usb-serial port below it for ftdi_sio, cp210x, ch341...).
 */
function usbParent(deviceFolder: string): { interfaceFolder: string; usbName: string } | undefined {
  for (let folder = deviceFolder; folder !== path.dirname(folder); folder = path.dirname(folder)) {
    if (readAttribute(folder, 'bInterfaceNumber') === null) continue;
    const usbFolder = path.dirname(folder);
    if (readAttribute(usbFolder, 'idVendor') === null) return undefined;
    return { interfaceFolder: folder, usbName: path.basename(usbFolder) };
  }
  return undefined;
}

/**
 * A port's description as pyserial (and so Home Assistant) gives it: "product - interface" when
 * the interface has a string of its own, else the product. Without a product string pyserial
 * writes "None - interface"; the interface string alone says the same without the artefact.
 */
function describe(product: string | null, interfaceName: string | null): string | null {
  if (product !== null && interfaceName !== null) return `${product} - ${interfaceName}`;
  return product ?? interfaceName;
}

/** The facts of one tty, or undefined for a tty with no device behind it (consoles, ptys). */
function readSerialPort(
  name: string,
  folders: SerialSysfsFolders,
  usbNames: readonly string[],
  links: ReturnType<typeof serialLinks>,
  namer: UsbNamer,
): (Omit<SerialPortFacts, 'key'> & { ifKey?: string }) | undefined {
  // /sys/class/tty/NAME is a link into /sys/devices; `device` in there is relative to the target.
  const ttyFolder = followLink(path.join(folders.ttyClass, name)) ?? path.join(folders.ttyClass, name);
  let deviceFolder = followLink(path.join(ttyFolder, 'device'));
  if (deviceFolder === null) return undefined;
  // Since Linux 6.5 a UART's tty hangs below a generic serial-base port device (driver `port`):
  // the driver worth reporting is the one of the UART itself, above it.
  if (driverOf(deviceFolder) === 'port' && readLink(path.join(deviceFolder, 'subsystem'))?.endsWith('/serial-base'))
    deviceFolder = path.dirname(path.dirname(deviceFolder));
  const driver = driverOf(deviceFolder);
  const devicePath = path.join(folders.dev, name);
  const serial: SerialPortFacts['serial'] = {
    path: path.join('/dev', name),
    byId: links.get(devicePath)?.byId ?? null,
    byPath: links.get(devicePath)?.byPath ?? null,
    driver,
    usbDriver: null,
    interfaceNumber: null,
    interfaceName: null,
    description: null,
  };
  // The kernel creates placeholder 8250 ports (ttyS0-31 below platform/serial8250) whether or
  // not a UART is there; like pyserial, leave them out (before walking up for a USB parent).
  if (deviceFolder.includes('/platform/serial8250')) return undefined;
  const parent = usbParent(deviceFolder);
  if (!parent) return { serial };
  const usb = readUsbDevice(parent.usbName, usbNames, folders.usbDevices, namer);
  if (!usb) return undefined;
  const interfaceNumber = Number.parseInt(readAttribute(parent.interfaceFolder, 'bInterfaceNumber')!, 16);
  // Two drivers: the usb-serial port's (`driver`: ch341-uart, option1) and the interface's
  // (`usbDriver`: ch341, option; udev's ID_USB_DRIVER, what lsusb shows). cdc_acm has only one.
  const usbDriver = driverOf(parent.interfaceFolder);
  const interfaceName = readString(parent.interfaceFolder, 'interface');
  return {
    serial: {
      ...serial,
      driver: driver ?? usbDriver,
      usbDriver,
      interfaceNumber,
      interfaceName,
      description: describe(usb.product ?? null, interfaceName),
    },
    usb,
    ifKey: `${usb.portPath}:if${String(interfaceNumber).padStart(2, '0')}`,
  };
}

/**
 * Every tty that has a device behind it, with its USB parent's facts when it is on USB, by key.
 * Reads sysfs and /dev only through the calls a simulated sysfs redirects; needs no udev.
 */
export function enumerateSerialPorts(
  folders: SerialSysfsFolders = SYSTEM_FOLDERS,
  namer: UsbNamer = defaultUsbNamer,
): Map<string, SerialPortFacts> {
  const usbNames = listNames(folders.usbDevices);
  const links = serialLinks(folders.serialLinks, folders.dev);
  const found: (ReturnType<typeof readSerialPort> & object)[] = [];
  for (const name of listNames(folders.ttyClass)) {
    const port = readSerialPort(name, folders, usbNames, links, namer);
    if (port) found.push(port);
  }
  const perInterface = new Map<string, number>();
  for (const port of found) if (port.ifKey) perInterface.set(port.ifKey, (perInterface.get(port.ifKey) ?? 0) + 1);
  const ports = new Map<string, SerialPortFacts>();
  const seen = new Map<string, number>();
  // A few usb-serial drivers put several ttys below one interface: number them in name order.
  for (const { ifKey, ...port } of found.sort((a, b) =>
    a.serial.path.localeCompare(b.serial.path, 'en', { numeric: true }),
  )) {
    let key = `serial:${port.serial.path}`;
    if (ifKey) {
      const index = seen.get(ifKey) ?? 0;
      seen.set(ifKey, index + 1);
      key = `serial:${ifKey}${perInterface.get(ifKey)! > 1 ? `.${index}` : ''}`;
    }
    ports.set(key, { key, ...port });
  }
  return ports;
}
