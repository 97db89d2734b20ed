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
  file?: { path: string; name: string; dir: string; type: string; major?: number | null; minor?: number | null };
  probe?: { response: string; hex: string; groups: (string | null)[] };
  host?: { hostname: string; arch: string };
  params?: Record<string, unknown>;
  event?: { action: 'add' | 'change' | 'remove'; at: string };
}
