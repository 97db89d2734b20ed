import type { SourceLintContext } from '../source-definition.js';

/**
 * USB-serial bridge chips whose ids thousands of unrelated products share; `*` for a whole
 * vendor of them when no product id is given.
 */
const GENERIC_BRIDGES: Readonly<Record<string, string>> = {
  '10c4:ea60': 'Silicon Labs CP210x',
  '10c4:ea70': 'Silicon Labs CP2105',
  '10c4:ea71': 'Silicon Labs CP2108',
  '1a86:7523': 'WCH CH340',
  '1a86:5523': 'WCH CH341',
  '1a86:55d4': 'WCH CH9102',
  '0403:6001': 'FTDI FT232R',
  '0403:6010': 'FTDI FT2232',
  '0403:6011': 'FTDI FT4232',
  '0403:6014': 'FTDI FT232H',
  '0403:6015': 'FTDI FT-X',
  '067b:2303': 'Prolific PL2303',
  '067b:23a3': 'Prolific PL2303GS',
  '0483:5740': 'STMicroelectronics virtual COM port',
};

const GENERIC_VENDORS = new Set(Object.keys(GENERIC_BRIDGES).map((id) => id.split(':')[0]!));

const list = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value])
    .filter((item): item is string => typeof item === 'string')
    .map((item) => item.toLowerCase());

/** Whether the block tells apart devices that share ids: by one of the USB strings. */
export function usbDistinguishes(usb: Record<string, unknown>): boolean {
  return Boolean(usb.manufacturer || usb.product || usb.serialNumber);
}

/** Whether a `when` condition looks at the USB strings, and so can narrow a generic id. */
function readsUsbStrings(when: unknown): boolean {
  return /"var":\s*(\[\s*)?"(usb\.(manufacturer|product|vendorName|productName|serialNumber)|serial\.(interfaceName|description))"/.test(
    JSON.stringify(when ?? null),
  );
}

/** The generic bridge a USB matcher relies on alone, if any. */
function broadMatcher(
  usb: Record<string, unknown>,
  narrowed: boolean,
): { key: 'vendorId' | 'productId'; what: string } | undefined {
  if (usbDistinguishes(usb) || narrowed) return undefined;
  const vendors = list(usb.vendorId);
  const products = list(usb.productId);
  if (products.length === 0) {
    const vendor = vendors.find((id) => GENERIC_VENDORS.has(id));
    return vendor ? { key: 'vendorId', what: `vendor ${vendor}, a maker of USB-serial bridge chips,` } : undefined;
  }
  for (const vendor of vendors) {
    for (const product of products) {
      const chip = GENERIC_BRIDGES[`${vendor}:${product}`];
      if (chip) return { key: 'productId', what: `${vendor}:${product} (${chip})` };
    }
  }
  return undefined;
}

/**
 * A catch-all meant as one, and USB ids that thousands of products share used alone. A profile
 * that says why it is meant to be broad (`broad: <reason>`) is taken at its word.
 */
export function lintUsbBlock(usb: Record<string, unknown>, context: SourceLintContext): void {
  if (context.broad) return;
  if (context.catchAll && !(context.priority !== undefined && context.priority < 0)) {
    context.report(
      context.at,
      'value',
      'warning',
      'catch-all',
      "an empty `usb` block matches every USB device (hubs, keyboards, this gateway's own radios); it always ranks below the other profiles, but say that it is meant with `priority: -1` (or lower), or with `broad:` and the reason",
    );
  }
  const broad = broadMatcher(usb, context.distinguished || readsUsbStrings(context.when));
  if (broad) {
    context.report(
      [...context.at, broad.key],
      'value',
      'warning',
      'broad-matcher',
      `${broad.what} is shared by thousands of products; narrow it with manufacturer, product or serialNumber (or a \`when\` on them), or a serial probe; if it is meant to match them all, say why with \`broad:\``,
    );
  }
}
