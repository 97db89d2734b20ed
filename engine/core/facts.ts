/** One USB interface as the USB source reports it. */
export interface UsbInterfaceFacts {
  number: number;
  class: string;
  subclass: string;
  protocol: string;
  driver: string | null;
  /** The interface's own string (iInterface), e.g. "HubZ Z-Wave Com Port"; null when blank or none. */
  name?: string | null;
  className: string;
}

/**
 * A device node below a USB device (a tty, a camera's video node, a disk...), as sysfs shows it.
 * Fields after `minor` are given only for the subsystems that have them.
 */
export interface UsbNodeFacts {
  /** The kernel subsystem: tty, video4linux, hidraw, input, sound, block, usbmisc, ... */
  subsystem: string;
  /** The node under /dev, e.g. /dev/video0, /dev/input/event3, /dev/snd/pcmC1D0c. */
  devnode: string;
  /** The number of the USB interface it hangs below; null when it hangs below none. */
  interface: number | null;
  major: number | null;
  minor: number | null;
  /** video4linux: the V4L device name; input: the input device's name. */
  name?: string | null;
  /** video4linux: the node's index within its device (0 is a UVC camera's capture node). */
  index?: number | null;
  /** block: the size in bytes. */
  size?: number | null;
  /** block: the partition number, null for the whole disk. */
  partition?: number | null;
}

/** A network interface below a USB device (a modem's wwan0, an Ethernet adapter's eth1). */
export interface UsbNetFacts {
  name: string;
  interface: number | null;
  /** The hardware address, e.g. 02:1e:10:1f:00:00; null when it has none. */
  address: string | null;
}

/** A PCI device (a GPU, a USB host controller) as sysfs shows it. */
export interface PciFacts {
  vendorId: string;
  deviceId: string;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  /** 6 hex digits: class, subclass, programming interface (`030000` a VGA controller). */
  classCode: string | null;
  driver: string | null;
  /** The PCI address, e.g. 0000:01:00.0. */
  slot: string;
  /** From pci.ids, when it knows them. */
  vendorName: string | null;
  deviceName: string | null;
  className: string | null;
}

/** What is known about one device: one entry per fact root, missing ones absent or null. */
export interface Facts {
  usb?: {
    vendorId: string;
    productId: string;
    manufacturer?: string | null;
    product?: string | null;
    vendorName?: string | null;
    productName?: string | null;
    serialNumber?: string | null;
    bcdDevice?: string | null;
    deviceClass?: string | null;
    busNumber?: number | null;
    deviceAddress?: number | null;
    portPath?: string | null;
    devicePath?: string | null;
    interfaces?: UsbInterfaceFacts[];
    nodes?: UsbNodeFacts[];
    net?: UsbNetFacts[];
  };
  serial?: {
    path: string;
    byId?: string | null;
    byPath?: string | null;
    driver?: string | null;
    usbDriver?: string | null;
    interfaceNumber?: number | null;
    interfaceName?: string | null;
    description?: string | null;
  };
  file?: {
    path: string;
    name: string;
    dir: string;
    type: string;
    major?: number | null;
    minor?: number | null;
    /** The USB device a device node belongs to, with the same fields as `usb`; null when none. */
    usb?: NonNullable<Facts['usb']> | null;
    /** The nearest PCI device above a device node (a GPU; for a USB node its host controller); null when none. */
    pci?: PciFacts | null;
  };
  /**
   * A peripheral on the network, as one discovery protocol (`protocol`) heard it; that
   * protocol's own facts are under its name (`network.mdns`, `network.ssdp`, ...).
   */
  network?: {
    protocol: string;
    /** Its identity within the protocol, stable across address changes. */
    id: string;
    addresses: string[];
    host?: string | null;
    port?: number | null;
    [protocol: string]: unknown;
  };
  probe?: { response: string; hex: string; groups: (string | null)[] };
  host?: { hostname: string; arch: string };
  params?: Record<string, unknown>;
  event?: { action: 'add' | 'change' | 'remove'; at: string };
}
