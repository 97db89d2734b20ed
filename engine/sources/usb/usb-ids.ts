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

interface ClassEntry {
  name: string;
  subclasses: Map<string, string>;
}

/** What an ids file holds: vendors with their products, and the class list. */
export interface IdsLists {
  vendors: Map<string, VendorEntry>;
  classes: Map<string, ClassEntry>;
}

/** A vendor line is `vvvv  Name`; a product line below it `\tpppp  Name`. */
const VENDOR_LINE = /^([0-9a-f]{4})\s+(.*\S)\s*$/;
const PRODUCT_LINE = /^\t([0-9a-f]{4})\s+(.*\S)\s*$/;
/** A class line is `C cc  Name`; a subclass line below it `\tss  Name`. */
const CLASS_LINE = /^C ([0-9a-f]{2})\s+(.*\S)\s*$/;
const SUBCLASS_LINE = /^\t([0-9a-f]{2})\s+(.*\S)\s*$/;

/**
 * Parses an ids file (usb.ids and pci.ids share the format): the vendor list, and the class list
 * (`C` lines). The file has other lists too (HID usages...) whose own tab-indented lines must not
 * be taken for products of the last vendor or subclasses of the last class.
 */
export function parseIds(text: string): IdsLists {
  const lists: IdsLists = { vendors: new Map(), classes: new Map() };
  let vendor: VendorEntry | undefined;
  let deviceClass: ClassEntry | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (!line.startsWith('\t')) {
      const vendorLine = VENDOR_LINE.exec(line);
      const classLine = CLASS_LINE.exec(line);
      vendor = vendorLine ? { name: vendorLine[2]!, products: new Map() } : undefined;
      deviceClass = classLine ? { name: classLine[2]!, subclasses: new Map() } : undefined;
      if (vendorLine) lists.vendors.set(vendorLine[1]!, vendor!);
      if (classLine) lists.classes.set(classLine[1]!, deviceClass!);
      continue;
    }
    const product = vendor && PRODUCT_LINE.exec(line);
    if (product) vendor!.products.set(product[1]!, product[2]!);
    const subclass = deviceClass && SUBCLASS_LINE.exec(line);
    if (subclass) deviceClass!.subclasses.set(subclass[1]!, subclass[2]!);
  }
  return lists;
}

/** The vendor list of usb.ids. */
export const parseUsbIds = (text: string): Map<string, VendorEntry> => parseIds(text).vendors;

/**
 * The usb.ids database (or pci.ids: same format), as udev uses it to name devices that carry no
 * strings of their own (`ID_VENDOR_FROM_DATABASE`). Read on first use only (most USB devices have
 * strings), indexed once; when no file is there, every name is null and one info line says so.
 */
export class UsbIdsDatabase {
  /** undefined: not read yet; null: no file could be read. */
  private lists: IdsLists | null | undefined;
  private reported = false;
  private readonly reasons: string[] = [];

  constructor(
    private readonly files: readonly string[] = USB_IDS_FILES,
    /** What the database is and which packages have it, for the info line. */
    private readonly label = { name: 'usb.ids', packages: 'the usb.ids or hwdata package' },
  ) {}

  /** The names of a vendor id and a product id (lowercase 4-digit hex). */
  names(vendorId: string, productId: string, log?: Logger): UsbIdNames {
    const vendor = this.load(log)?.vendors.get(vendorId);
    return { vendor: vendor?.name ?? null, product: vendor?.products.get(productId) ?? null };
  }

  /** The name of a class and subclass (2 hex digits each): the subclass's, else the class's; null when unknown. */
  className(classId: string, subclassId: string, log?: Logger): string | null {
    const deviceClass = this.load(log)?.classes.get(classId);
    return deviceClass?.subclasses.get(subclassId) ?? deviceClass?.name ?? null;
  }

  private load(log: Logger | undefined): IdsLists | null {
    if (this.lists === undefined) {
      this.lists = null;
      for (const file of this.files) {
        try {
          this.lists = parseIds(readFileSync(file, 'utf8'));
          break;
        } catch (error) {
          this.reasons.push(`${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
      }
    }
    if (this.lists === null && log && !this.reported) {
      this.reported = true;
      log.info(
        `no ${this.label.name} database: devices without names of their own get no vendor or product name (install ${this.label.packages})`,
        { tried: this.reasons },
      );
    }
    return this.lists;
  }
}

/** The database at its usual places, shared by every source of this process. */
export const systemUsbIds = new UsbIdsDatabase();

/** Where Debian's `pci.ids` and `hwdata` packages put the PCI database. */
export const PCI_IDS_FILES: readonly string[] = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'];

/** The PCI database at its usual places. */
export const systemPciIds = new UsbIdsDatabase(PCI_IDS_FILES, {
  name: 'pci.ids',
  packages: 'the pci.ids or hwdata package',
});
