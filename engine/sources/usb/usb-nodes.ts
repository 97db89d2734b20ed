import path from 'node:path';
import type { UsbNetFacts, UsbNodeFacts } from '../../core/facts.js';
import { listEntries, readAttribute, readLink, readString, readUevent } from '../shared/sysfs.js';

/** The device nodes and network interfaces below one USB device. */
export interface UsbNodes {
  nodes: UsbNodeFacts[];
  net: UsbNetFacts[];
}

/** An interface folder, `1-1.4:1.2` (configuration 1, interface 2). */
const INTERFACE_FOLDER = /^\d+-\d+(\.\d+)*:\d+\.(\d+)$/;
/** A USB device folder: below a hub, its children sit in the hub's own folder; they are theirs, not the hub's. */
const DEVICE_FOLDER = /^\d+-\d+(\.\d+)*$/;
/** Folders that hold no device below them: power management and the endpoints' descriptors. */
const BARREN_FOLDER = /^(power|ep_[0-9a-f]{2}|queue|mq|holders|slaves|trace|integrity|statistics|queues)$/;
/** A disk's partitions sit 7 levels below the USB device (interface, host, target, lun, block, disk, part); a bound keeps a strange tree from costing much. */
const MAX_DEPTH = 12;

const SECTOR_BYTES = 512;

const integer = (value: string | null) => (value !== null && /^\d+$/.test(value) ? Number(value) : null);

/** The interface number of an interface folder: its bInterfaceNumber (hex), else the folder's name. */
function interfaceNumber(folder: string, name: string): number {
  const declared = readAttribute(folder, 'bInterfaceNumber');
  if (declared !== null && /^[0-9a-fA-F]+$/.test(declared)) return Number.parseInt(declared, 16);
  return Number(INTERFACE_FOLDER.exec(name)![2]);
}

/** What only some subsystems say about their nodes: a camera's V4L name and index, a disk's size. */
function subsystemFields(subsystem: string, folder: string, uevent: Map<string, string>): Partial<UsbNodeFacts> {
  switch (subsystem) {
    case 'video4linux':
      return { name: readString(folder, 'name'), index: integer(readAttribute(folder, 'index')) };
    case 'input':
      // An event node's name is its input device's, one folder up (input/input5/event5).
      return { name: readString(folder, 'name') ?? readString(path.dirname(folder), 'name') };
    case 'block': {
      const sectors = integer(readAttribute(folder, 'size'));
      return {
        size: sectors === null ? null : sectors * SECTOR_BYTES,
        partition: integer(readAttribute(folder, 'partition') ?? uevent.get('PARTN') ?? null),
      };
    }
    default:
      return {};
  }
}

/** Adds what one sysfs folder below the device is, if anything: a device node, a network interface. */
function readFolder(folder: string, usbInterface: number | null, found: UsbNodes): void {
  const uevent = readUevent(folder);
  const subsystemLink = readLink(path.join(folder, 'subsystem'));
  const subsystem = subsystemLink === null ? (uevent.get('SUBSYSTEM') ?? null) : path.basename(subsystemLink);
  if (subsystem === 'net') {
    found.net.push({
      name: path.basename(folder),
      interface: usbInterface,
      address: readAttribute(folder, 'address') || null,
    });
    return;
  }
  const numbers = /^(\d+):(\d+)$/.exec(readAttribute(folder, 'dev') ?? '');
  if (!numbers || subsystem === null) return;
  const devname = uevent.get('DEVNAME')?.replace(/^\/dev\//, '') || path.basename(folder);
  found.nodes.push({
    subsystem,
    devnode: path.posix.join('/dev', devname),
    interface: usbInterface,
    major: Number(numbers[1]),
    minor: Number(numbers[2]),
    ...subsystemFields(subsystem, folder, uevent),
  });
}

function walk(folder: string, usbInterface: number | null, depth: number, found: UsbNodes): void {
  for (const entry of listEntries(folder)) {
    if (!entry.folder || BARREN_FOLDER.test(entry.name) || DEVICE_FOLDER.test(entry.name)) continue;
    const child = path.join(folder, entry.name);
    const childInterface = INTERFACE_FOLDER.test(entry.name) ? interfaceNumber(child, entry.name) : usbInterface;
    readFolder(child, childInterface, found);
    if (depth < MAX_DEPTH) walk(child, childInterface, depth + 1, found);
  }
}

const byDevnode = (a: { devnode: string }, b: { devnode: string }) =>
  a.devnode.localeCompare(b.devnode, 'en', { numeric: true });

/**
 * Every device node and network interface below a USB device's sysfs folder, found by walking
 * down from it (no udev needed): nodes in /dev order (video0 before video1), each with the
 * interface it hangs below. A folder that cannot be read adds nothing; child devices of a hub
 * are left to themselves.
 */
export function readUsbNodes(deviceFolder: string): UsbNodes {
  const found: UsbNodes = { nodes: [], net: [] };
  walk(deviceFolder, null, 0, found);
  found.nodes.sort(byDevnode);
  found.net.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  return found;
}
