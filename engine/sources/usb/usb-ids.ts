import { readFileSync } from 'node:fs';
import type { Logger } from '../../core/log.js';

/** Where Debian's `usb.ids` and `hwdata` packages (and usbutils' updater) put the database. */
export const USB_IDS_FILES: readonly string[] = [
  '/usr/share/misc/usb.ids',
  '/usr/share/hwdata/usb.ids',
  '/var/lib/usbutils/usb.ids',
  '/usr/share/usb.ids',
];

/** Names usb.ids gives a vendor id and a product id; null where it has none. */
export interface UsbIdNames {
  vendor: string | null;
  product: string | null;
}

interface VendorEntry {
  name: string;
  products: Map<string, string>;
}

/** A vendor line is `vvvv  Name`; a product line below it `\tpppp  Name`. */
const VENDOR_LINE = /^([0-9a-f]{4})\s+(.*\S)\s*$/;
const PRODUCT_LINE = /^\t([0-9a-f]{4})\s+(.*\S)\s*$/;

/**
 * Parses usb.ids' vendor list. The file goes on with other lists (classes `C`, HID usages...)
 * whose own tab-indented lines must not be taken for products of the last vendor.
 */
export function parseUsbIds(text: string): Map<string, VendorEntry> {
  const vendors = new Map<string, VendorEntry>();
  let current: VendorEntry | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (!line.startsWith('\t')) {
      const vendor = VENDOR_LINE.exec(line);
      current = vendor ? { name: vendor[2]!, products: new Map() } : undefined;
      if (vendor) vendors.set(vendor[1]!, current!);
      continue;
    }
    const product = current && PRODUCT_LINE.exec(line);
    if (product) current!.products.set(product[1]!, product[2]!);
  }
  return vendors;
}

/**
 * The usb.ids database, as udev uses it to name devices that carry no strings of their own
 * (`ID_VENDOR_FROM_DATABASE`). Read on first use only (most devices have strings), indexed once;
 * when no file is there, every name is null and one info line says so.
 */
export class UsbIdsDatabase {
  /** undefined: not read yet; null: no file could be read. */
  private vendors: Map<string, VendorEntry> | null | undefined;
  private reported = false;
  private readonly reasons: string[] = [];

  constructor(private readonly files: readonly string[] = USB_IDS_FILES) {}

  /** The names of a vendor id and a product id (lowercase 4-digit hex). */
  names(vendorId: string, productId: string, log?: Logger): UsbIdNames {
    const vendors = this.load();
    if (vendors === null && log && !this.reported) {
      this.reported = true;
      log.info(
        'no usb.ids database: devices without strings of their own get no vendorName or productName (install the usb.ids or hwdata package)',
        { tried: this.reasons },
      );
    }
    const vendor = vendors?.get(vendorId);
    return { vendor: vendor?.name ?? null, product: vendor?.products.get(productId) ?? null };
  }

  private load(): Map<string, VendorEntry> | null {
    if (this.vendors !== undefined) return this.vendors;
    this.vendors = null;
    for (const file of this.files) {
      try {
        this.vendors = parseUsbIds(readFileSync(file, 'utf8'));
        break;
      } catch (error) {
        this.reasons.push(`${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    return this.vendors;
  }
}

/** The database at its usual places, shared by every source of this process. */
export const systemUsbIds = new UsbIdsDatabase();
