import path from 'node:path';
import type { UsbInterfaceFacts } from '../../core/facts.js';
import type { Facts } from '../../core/facts.js';
import type { PresentDevice } from '../source.js';
import { listNames, readAttribute, readLink, readString } from '../shared/sysfs.js';
import { systemUsbIds, type UsbIdNames } from './usb-ids.js';
import { usbClassName } from './usb-class-names.js';
import { readUsbNodes } from './usb-nodes.js';

export const USB_DEVICES = '/sys/bus/usb/devices';

/** USB device facts, read from sysfs without opening the device. */
export type UsbFacts = NonNullable<Facts['usb']>;

/** A USB device as the source reports it: keyed by its port path, which stays while it is plugged there. */
export function usbDevice(port: string, usb: UsbFacts): PresentDevice {
  return { key: `usb:${port}`, source: 'usb', facts: { usb } };
}

/** Names a vendor id and product id from usb.ids (the source passes its logger along). */
export type UsbNamer = (vendorId: string, productId: string) => UsbIdNames;

export const defaultUsbNamer: UsbNamer = (vendorId, productId) => systemUsbIds.names(vendorId, productId);

/** A device folder name such as `1-1.4` (interfaces are `1-1.4:1.0`, root hubs `usb1`). */
const DEVICE_NAME = /^\d+-\d+(\.\d+)*$/;

const hex = (value: string | null, width: number) => (value === null ? null : value.toLowerCase().padStart(width, '0'));
const integer = (value: string | null) => (value === null || !/^\d+$/.test(value) ? null : Number(value));

function readInterfaces(devicesFolder: string, name: string, names: readonly string[]): UsbInterfaceFacts[] {
  return names
    .filter((entry) => entry.startsWith(`${name}:`))
    .flatMap((entry) => {
      const folder = path.join(devicesFolder, entry);
      const number = readAttribute(folder, 'bInterfaceNumber');
      const interfaceClass = hex(readAttribute(folder, 'bInterfaceClass'), 2);
      if (number === null || interfaceClass === null) return [];
      const driver = readLink(path.join(folder, 'driver'));
      return [
        {
          number: Number.parseInt(number, 16),
          class: interfaceClass,
          subclass: hex(readAttribute(folder, 'bInterfaceSubClass'), 2) ?? '00',
          protocol: hex(readAttribute(folder, 'bInterfaceProtocol'), 2) ?? '00',
          driver: driver === null ? null : path.basename(driver),
          name: readString(folder, 'interface'),
          className: usbClassName(interfaceClass),
        },
      ];
    })
    .sort((a, b) => a.number - b.number);
}

/** The facts of one USB device, or undefined when it has gone or is not a device. */
export function readUsbDevice(
  name: string,
  names: readonly string[],
  devicesFolder = USB_DEVICES,
  namer: UsbNamer = defaultUsbNamer,
): UsbFacts | undefined {
  const folder = path.join(devicesFolder, name);
  const vendorId = hex(readAttribute(folder, 'idVendor'), 4);
  const productId = hex(readAttribute(folder, 'idProduct'), 4);
  const busNumber = integer(readAttribute(folder, 'busnum'));
  const deviceAddress = integer(readAttribute(folder, 'devnum'));
  if (!vendorId || !productId || busNumber === null || deviceAddress === null) return undefined;
  const manufacturer = readString(folder, 'manufacturer');
  const product = readString(folder, 'product');
  // usb.ids is looked at only for a device that lacks a string, as udev does.
  const database = manufacturer === null || product === null ? namer(vendorId, productId) : undefined;
  return {
    vendorId,
    productId,
    manufacturer,
    product,
    vendorName: manufacturer ?? database?.vendor ?? null,
    productName: product ?? database?.product ?? null,
    serialNumber: readString(folder, 'serial'),
    bcdDevice: hex(readAttribute(folder, 'bcdDevice'), 4),
    deviceClass: hex(readAttribute(folder, 'bDeviceClass'), 2),
    busNumber,
    deviceAddress,
    portPath: name,
    devicePath: `/dev/bus/usb/${String(busNumber).padStart(3, '0')}/${String(deviceAddress).padStart(3, '0')}`,
    interfaces: readInterfaces(devicesFolder, name, names),
    ...readUsbNodes(folder),
  };
}

/**
 * Every USB device present (root hubs aside), by port path. A device whose attributes cannot be
 * read is left out, never the others.
 */
export function enumerateUsbDevices(
  devicesFolder = USB_DEVICES,
  namer: UsbNamer = defaultUsbNamer,
): Map<string, UsbFacts> {
  const names = listNames(devicesFolder);
  const devices = new Map<string, UsbFacts>();
  for (const name of names.filter((entry) => DEVICE_NAME.test(entry))) {
    const facts = readUsbDevice(name, names, devicesFolder, namer);
    if (facts) devices.set(name, facts);
  }
  return devices;
}

/**
 * Whether the kernel has finished creating the device's interfaces: a device is announced
 * before them, and a read in between would report it with too few.
 */
export function interfacesComplete(facts: UsbFacts, devicesFolder = USB_DEVICES): boolean {
  const declared = integer(readAttribute(path.join(devicesFolder, facts.portPath!), 'bNumInterfaces'));
  return declared === null || (facts.interfaces?.length ?? 0) >= declared;
}

/** Whether `now` lacks a node, network interface, interface or string that `known` had. */
export function losesParts(known: UsbFacts, now: UsbFacts): boolean {
  const nodes = new Set((now.nodes ?? []).map((node) => node.devnode));
  const net = new Set((now.net ?? []).map((item) => item.name));
  return (
    (known.nodes ?? []).some((node) => !nodes.has(node.devnode)) ||
    (known.net ?? []).some((item) => !net.has(item.name)) ||
    (now.interfaces?.length ?? 0) < (known.interfaces?.length ?? 0) ||
    (['manufacturer', 'product', 'serialNumber'] as const).some((field) => known[field] && !now[field])
  );
}
