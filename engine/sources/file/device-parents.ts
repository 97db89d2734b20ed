import path from 'node:path';
import type { Facts, PciFacts } from '../../core/facts.js';
import type { Logger } from '../../core/log.js';
import { followLink, listNames, readAttribute, readLink, readUevent } from '../shared/sysfs.js';
import { systemPciIds, systemUsbIds } from '../usb/usb-ids.js';
import { readUsbDevice, type UsbFacts } from '../usb/usb-sysfs.js';

/** The devices a device node belongs to: its USB device and the nearest PCI device above it. */
export interface DeviceParents {
  usb: UsbFacts | null;
  pci: PciFacts | null;
}

export const NO_PARENTS: DeviceParents = { usb: null, pci: null };

/** A USB device folder, `1-1.4` (interfaces are `1-1.4:1.0`). */
const USB_DEVICE_FOLDER = /^\d+-\d+(\.\d+)*$/;

/** `0x10de` → `10de`; null when absent or not hex. */
function hexAttribute(folder: string, name: string, digits: number): string | null {
  const value = readAttribute(folder, name);
  return value !== null && /^0x[0-9a-fA-F]+$/.test(value) ? value.slice(2).toLowerCase().padStart(digits, '0') : null;
}

/** A PCI device's facts from its sysfs folder, with pci.ids names; null when its ids cannot be read. */
function readPciDevice(folder: string, log?: Logger): PciFacts | null {
  let vendorId = hexAttribute(folder, 'vendor', 4);
  let deviceId = hexAttribute(folder, 'device', 4);
  // The uevent has them too (PCI_ID=10DE:1EB8), when the attributes cannot be read.
  const uevent = readUevent(folder);
  const [ueventVendor, ueventDevice] = (uevent.get('PCI_ID') ?? '').toLowerCase().split(':');
  vendorId ??= ueventVendor || null;
  deviceId ??= ueventDevice || null;
  if (!vendorId || !deviceId) return null;
  const [subsystemVendor, subsystemDevice] = (uevent.get('PCI_SUBSYS_ID') ?? '').toLowerCase().split(':');
  const classCode = hexAttribute(folder, 'class', 6);
  const driver = readLink(path.join(folder, 'driver'));
  const names = systemPciIds.names(vendorId, deviceId, log);
  return {
    vendorId,
    deviceId,
    subsystemVendorId: hexAttribute(folder, 'subsystem_vendor', 4) ?? (subsystemVendor || null),
    subsystemDeviceId: hexAttribute(folder, 'subsystem_device', 4) ?? (subsystemDevice || null),
    classCode,
    driver: driver === null ? null : path.basename(driver),
    slot: path.basename(folder),
    vendorName: names.vendor,
    deviceName: names.product,
    className: classCode === null ? null : systemPciIds.className(classCode.slice(0, 2), classCode.slice(2, 4), log),
  };
}

/**
 * The USB device and the PCI device a device node hangs below, found from
 * `/sys/dev/{char,block}/MAJOR:MINOR` by walking up its sysfs folder; nulls for a node with
 * neither (/dev/null), a node sysfs does not know, or anything that cannot be read.
 * `sysRoot` is /sys, or a copy of it.
 */
export function readDeviceParents(
  type: string,
  major: number | null | undefined,
  minor: number | null | undefined,
  sysRoot = '/sys',
  log?: Logger,
): DeviceParents {
  if ((type !== 'character' && type !== 'block') || major == null || minor == null) return NO_PARENTS;
  const folder = followLink(path.join(sysRoot, 'dev', type === 'block' ? 'block' : 'char', `${major}:${minor}`));
  if (folder === null) return NO_PARENTS;
  const usbDevices = path.join(sysRoot, 'bus', 'usb', 'devices');
  const parents: DeviceParents = { usb: null, pci: null };
  for (
    let above = folder;
    above.length > sysRoot.length && above !== path.dirname(above);
    above = path.dirname(above)
  ) {
    const name = path.basename(above);
    if (parents.usb === null && USB_DEVICE_FOLDER.test(name) && readAttribute(above, 'idVendor') !== null)
      parents.usb =
        readUsbDevice(name, listNames(usbDevices), usbDevices, (vendorId, productId) =>
          systemUsbIds.names(vendorId, productId, log),
        ) ?? null;
    const subsystem = readLink(path.join(above, 'subsystem'));
    if (subsystem !== null && path.basename(subsystem) === 'pci') {
      parents.pci = readPciDevice(above, log);
      break;
    }
  }
  return parents;
}

/** The `file.usb` and `file.pci` facts of a file's facts. */
export function withDeviceParents(file: NonNullable<Facts['file']>, sysRoot = '/sys'): NonNullable<Facts['file']> {
  return { ...file, ...readDeviceParents(file.type, file.major, file.minor, sysRoot) };
}
