import { SOURCES } from '../sources/index.js';

/**
 * The facts a profile's `when` and `map` can read, by root: the fields each root has, or `'any'`
 * where the fields are the user's own (`params.*`).
 */
export const FACT_FIELDS: Readonly<Record<string, readonly string[] | 'any'>> = {
  ...Object.fromEntries(SOURCES.map((source) => [source.kind, Object.keys(source.facts)])),
  probe: ['response', 'hex', 'groups'],
  host: ['hostname', 'arch'],
  params: 'any',
  event: ['action', 'at'],
};

/** Why a `var` path names no fact, or undefined when it does. */
export function unknownFactReason(path: string): string | undefined {
  if (path === '') return undefined;
  const [root, field] = path.split('.');
  const fields = FACT_FIELDS[root!];
  if (!fields) return `\`${root}\` is not a fact root; the roots are ${Object.keys(FACT_FIELDS).join(', ')}`;
  if (fields === 'any' || field === undefined || fields.includes(field)) return undefined;
  return `\`${root}\` has no fact \`${field}\`; it has ${fields.join(', ')}`;
}

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
