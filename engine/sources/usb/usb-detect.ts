import type { Facts } from '../../core/facts.js';
import { globHolds } from '../shared/glob-holds.js';
import { usbClassName } from './usb-class-names.js';

/** A profile's `detect.usb` block, after the profile schema has accepted it. */
export interface UsbDetect {
  vendorId?: string | string[];
  productId?: string | string[];
  manufacturer?: string;
  product?: string;
  serialNumber?: string;
  interfaceClass?: string | string[];
}

const asList = (value: string | string[]) => (Array.isArray(value) ? value : [value]).map((item) => item.toLowerCase());

/** Why a `detect.usb` block does not hold for a device, or undefined when it does. */
export function usbMismatch(detect: UsbDetect, facts: Facts): string | undefined {
  const usb = facts.usb;
  if (!usb) return 'not a USB device';
  if (detect.vendorId && !asList(detect.vendorId).includes(usb.vendorId))
    return `usb.vendorId is ${usb.vendorId}, not ${asList(detect.vendorId).join(' or ')}`;
  if (detect.productId && !asList(detect.productId).includes(usb.productId))
    return `usb.productId is ${usb.productId}, not ${asList(detect.productId).join(' or ')}`;
  for (const key of ['manufacturer', 'product', 'serialNumber'] as const) {
    const pattern = detect[key];
    if (pattern !== undefined && !globHolds(pattern, usb[key], 'text'))
      return `usb.${key} is ${JSON.stringify(usb[key] ?? null)}, not ${JSON.stringify(pattern)}`;
  }
  if (detect.interfaceClass) {
    const wanted = asList(detect.interfaceClass);
    const classes = (usb.interfaces ?? []).flatMap((item) => [
      item.class.toLowerCase(),
      usbClassName(item.class, item.className).toLowerCase(),
    ]);
    if (!wanted.some((name) => classes.includes(name))) return `no interface of class ${wanted.join(' or ')}`;
  }
  return undefined;
}
