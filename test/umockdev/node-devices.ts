/*
 * USB devices with the nodes their drivers create, built the way the kernel lays them out in
 * sysfs (paths, `dev`, `uevent`, attributes as in real `umockdev-record` output): a two-node UVC
 * camera with a microphone, an LTE modem (four ttys, a cdc-wdm node and wwan0), a USB disk with
 * one partition.
 */
import type { AddedUsbDevice, Testbed, UsbDeviceSpec } from './testbed.js';

/** One sysfs folder below a USB device, in umockdev's text format terms. */
export interface NodeSpec {
  /** Path below the USB device's folder, e.g. `1-7:1.0/video4linux/video0`. */
  below: string;
  subsystem: string;
  /** `MAJOR:MINOR`; absent for a folder without a node (an input device, a network interface). */
  dev?: string;
  /** DEVNAME as the kernel's uevent has it (`video0`, `input/event9`); default the folder's name. */
  devname?: string;
  /** Other attributes (`name`, `index`, `size`, `partition`, `address`). */
  attributes?: Record<string, string>;
  /** DEVTYPE (`disk`, `partition`, `wwan`). */
  devtype?: string;
}

/** umockdev text for nodes below a device at `devicePath` (/sys/devices/...). */
export function nodesText(devicePath: string, nodes: readonly NodeSpec[]): string {
  const base = devicePath.replace(/^\/sys/, '');
  return nodes
    .map((node) => {
      const name = node.below.split('/').pop()!;
      const lines = [`P: ${base}/${node.below}`];
      if (node.dev) lines.push(`N: ${node.devname ?? name}`, `E: DEVNAME=/dev/${node.devname ?? name}`);
      lines.push(`E: SUBSYSTEM=${node.subsystem}`);
      if (node.devtype) lines.push(`E: DEVTYPE=${node.devtype}`);
      for (const [key, value] of Object.entries(node.attributes ?? {})) lines.push(`A: ${key}=${value}`);
      // `dev` last: umockdev writes attributes in the order given, and a folder is a device node
      // once it has `dev`. The kernel creates a node's attributes before anyone can see it; a
      // look between `dev` and `size` would see a disk of no size.
      if (node.dev) {
        const [major, minor] = node.dev.split(':');
        lines.push(`E: MAJOR=${major}`, `E: MINOR=${minor}`, `A: dev=${node.dev}`);
      }
      return `${lines.join('\n')}\n`;
    })
    .join('\n');
}

/** Adds nodes below an added device (parents before children, as listed). */
export async function addNodes(
  testbed: Testbed,
  device: { path: string },
  nodes: readonly NodeSpec[],
  options: { quiet?: boolean } = {},
): Promise<void> {
  await testbed.addFromString(nodesText(device.path, nodes), options);
}

/** A Logitech C920: video control and streaming, audio control and streaming interfaces. */
export const CAMERA: UsbDeviceSpec = {
  port: '1-7',
  vendorId: '046d',
  productId: '082d',
  deviceClass: 0xef,
  manufacturer: 'Logitech',
  product: 'HD Pro Webcam C920',
  serial: 'A1B2C3D4',
  interfaces: [
    { class: 0x0e, subclass: 1, driver: 'uvcvideo' },
    { class: 0x0e, subclass: 2, driver: 'uvcvideo' },
    { class: 0x01, subclass: 1, driver: 'snd-usb-audio' },
    { class: 0x01, subclass: 2, driver: 'snd-usb-audio' },
  ],
};

/** The camera's capture node (index 0) and metadata node (index 1), as uvcvideo makes them. */
export const CAMERA_VIDEO_NODES: NodeSpec[] = [0, 1].map((index) => ({
  below: `1-7:1.0/video4linux/video${index}`,
  subsystem: 'video4linux',
  dev: `81:${index}`,
  attributes: { name: 'HD Pro Webcam C920', index: String(index) },
}));

/** Its microphone's card and its button's input device. */
export const CAMERA_OTHER_NODES: NodeSpec[] = [
  { below: '1-7:1.2/sound/card1', subsystem: 'sound', attributes: { id: 'C920', number: '1' } },
  { below: '1-7:1.2/sound/card1/controlC1', subsystem: 'sound', dev: '116:8', devname: 'snd/controlC1' },
  { below: '1-7:1.2/sound/card1/pcmC1D0c', subsystem: 'sound', dev: '116:9', devname: 'snd/pcmC1D0c' },
  { below: '1-7:1.0/input/input9', subsystem: 'input', attributes: { name: 'HD Pro Webcam C920' } },
  { below: '1-7:1.0/input/input9/event9', subsystem: 'input', dev: '13:73', devname: 'input/event9' },
];

/** A Quectel EC25 LTE modem: four option ttys and a QMI interface with cdc-wdm0 and wwan0. */
export const MODEM: UsbDeviceSpec = {
  port: '1-8',
  vendorId: '2c7c',
  productId: '0125',
  manufacturer: 'Quectel',
  product: 'EG25-G',
  serial: '0123456789ABCDEF',
  interfaces: [
    { class: 0xff, subclass: 0xff, protocol: 0xff, driver: 'option' },
    { class: 0xff, protocol: 0, driver: 'option' },
    { class: 0xff, protocol: 0, driver: 'option' },
    { class: 0xff, protocol: 0, driver: 'option' },
    { class: 0xff, subclass: 0xff, protocol: 0xff, driver: 'qmi_wwan' },
  ],
};

export const MODEM_QMI_NODES: NodeSpec[] = [
  { below: '1-8:1.4/usbmisc/cdc-wdm0', subsystem: 'usbmisc', dev: '180:176' },
  {
    below: '1-8:1.4/net/wwan0',
    subsystem: 'net',
    devtype: 'wwan',
    attributes: { address: '6a:1f:0c:41:2e:9b', ifindex: '5' },
  },
];

/** Adds the modem's ttys (ttyUSB0-3 on interfaces 0-3). */
export async function addModemTtys(testbed: Testbed, modem: AddedUsbDevice): Promise<void> {
  for (const number of [0, 1, 2, 3])
    await testbed.addTty({ name: `ttyUSB${number}`, usb: modem.path, interface: number, driver: 'option1' });
}

/** A SanDisk Cruzer Blade: one mass-storage interface, a disk with one partition. */
export const DISK: UsbDeviceSpec = {
  port: '1-9',
  vendorId: '0781',
  productId: '5567',
  manufacturer: 'SanDisk',
  product: 'Cruzer Blade',
  serial: '4C530001230718117433',
  interfaces: [{ class: 0x08, subclass: 0x06, protocol: 0x50, driver: 'usb-storage' }],
};

const SCSI = '1-9:1.0/host0/target0:0:0/0:0:0:0';
export const DISK_NODES: NodeSpec[] = [
  { below: '1-9:1.0/host0', subsystem: 'scsi' },
  { below: '1-9:1.0/host0/target0:0:0', subsystem: 'scsi' },
  { below: SCSI, subsystem: 'scsi', attributes: { vendor: 'SanDisk', model: 'Cruzer Blade' } },
  { below: `${SCSI}/block/sda`, subsystem: 'block', devtype: 'disk', dev: '8:0', attributes: { size: '31266816' } },
  {
    below: `${SCSI}/block/sda/sda1`,
    subsystem: 'block',
    devtype: 'partition',
    dev: '8:1',
    attributes: { size: '31264768', partition: '1' },
  },
];

/**
 * An NVIDIA Tesla T4 (10de:1eb8, a 3D controller) behind a PCIe root port, bound to the nvidia
 * driver, with its DRM card and render nodes: what `/sys/dev/char/226:128` leads to on a GPU host.
 */
export const GPU_TEXT = `P: /devices/pci0000:00/0000:00:01.0
E: SUBSYSTEM=pci
E: PCI_ID=8086:1901
A: vendor=0x8086
A: device=0x1901
A: class=0x060400

P: /devices/pci0000:00/0000:00:01.0/0000:01:00.0
E: DRIVER=nvidia
E: PCI_ID=10DE:1EB8
E: PCI_SUBSYS_ID=10DE:12A2
E: PCI_SLOT_NAME=0000:01:00.0
E: SUBSYSTEM=pci
A: class=0x030200
A: vendor=0x10de
A: device=0x1eb8
A: subsystem_vendor=0x10de
A: subsystem_device=0x12a2
L: driver=../../../../bus/pci/drivers/nvidia

P: /devices/pci0000:00/0000:00:01.0/0000:01:00.0/drm/card0
N: dri/card0
E: DEVNAME=/dev/dri/card0
E: DEVTYPE=drm_minor
E: SUBSYSTEM=drm
A: dev=226:0

P: /devices/pci0000:00/0000:00:01.0/0000:01:00.0/drm/renderD128
N: dri/renderD128
E: DEVNAME=/dev/dri/renderD128
E: DEVTYPE=drm_minor
E: SUBSYSTEM=drm
A: dev=226:128
`;

/** The Tesla T4 as `file.pci` gives it. */
export const GPU_PCI = {
  vendorId: '10de',
  deviceId: '1eb8',
  subsystemVendorId: '10de',
  subsystemDeviceId: '12a2',
  classCode: '030200',
  driver: 'nvidia',
  slot: '0000:01:00.0',
  vendorName: 'NVIDIA Corporation',
  deviceName: 'TU104GL [Tesla T4]',
  className: '3D controller',
};
