import type { Facts } from '../core/facts.js';
import type { Detect, FileDetect, SerialDetect, UsbDetect } from '../profiles/profile.js';
import { USB_CLASS_NAMES } from '../sources/usb.js';
import { compileGlob, type GlobKind } from './glob.js';

/** Why a detect block does not hold for a device, or undefined when it does. */
export type Mismatch = string | undefined;

const asList = (value: string | string[]) => (Array.isArray(value) ? value : [value]).map((item) => item.toLowerCase());

function globHolds(pattern: string, value: string | null | undefined, kind: GlobKind): boolean {
  if (value === null || value === undefined) return false;
  const compiled = compileGlob(pattern, kind);
  return compiled.ok && compiled.regex.test(value);
}

function usbMismatch(detect: UsbDetect, usb: Facts['usb']): Mismatch {
  if (!usb) return 'not a USB device';
  if (detect.vendorId && !asList(detect.vendorId).includes(usb.vendorId)) return `usb.vendorId is ${usb.vendorId}, not ${asList(detect.vendorId).join(' or ')}`;
  if (detect.productId && !asList(detect.productId).includes(usb.productId)) return `usb.productId is ${usb.productId}, not ${asList(detect.productId).join(' or ')}`;
  for (const key of ['manufacturer', 'product', 'serialNumber'] as const) {
    const pattern = detect[key];
    if (pattern !== undefined && !globHolds(pattern, usb[key], 'text')) return `usb.${key} is ${JSON.stringify(usb[key] ?? null)}, not ${JSON.stringify(pattern)}`;
  }
  if (detect.interfaceClass) {
    const wanted = asList(detect.interfaceClass);
    const classes = (usb.interfaces ?? []).flatMap((item) => [item.class.toLowerCase(), (USB_CLASS_NAMES[item.class.toLowerCase()] ?? item.className).toLowerCase()]);
    if (!wanted.some((name) => classes.includes(name))) return `no interface of class ${wanted.join(' or ')}`;
  }
  return undefined;
}

function serialMismatch(detect: SerialDetect, serial: Facts['serial']): Mismatch {
  if (!serial) return 'not a serial port';
  if (detect.path !== undefined && !globHolds(detect.path, serial.path, 'path')) return `serial.path is ${serial.path}, not ${detect.path}`;
  if (detect.interfaceNumber !== undefined && serial.interfaceNumber !== detect.interfaceNumber) return `serial.interfaceNumber is ${serial.interfaceNumber ?? null}, not ${detect.interfaceNumber}`;
  for (const key of ['interfaceName', 'description'] as const) {
    const pattern = detect[key];
    if (pattern !== undefined && !globHolds(pattern, serial[key], 'text')) return `serial.${key} is ${JSON.stringify(serial[key] ?? null)}, not ${JSON.stringify(pattern)}`;
  }
  return undefined;
}

function fileMismatch(detect: FileDetect, file: Facts['file']): Mismatch {
  if (!file) return 'not a filesystem path';
  return globHolds(detect.path, file.path, 'path') ? undefined : `file.path is ${file.path}, not ${detect.path}`;
}

/** Why the source blocks of `detect` (not `when`, not the probe) do not hold, if they don't. */
export function detectMismatch(detect: Detect, facts: Facts): Mismatch {
  return (
    (detect.usb && usbMismatch(detect.usb, facts.usb)) ||
    (detect.serial && serialMismatch(detect.serial, facts.serial)) ||
    (detect.file && fileMismatch(detect.file, facts.file)) ||
    undefined
  );
}

/** How specific a detect is: how many keys it sets, `when` and a probe counting one each. */
export function specificity(detect: Detect): number {
  const count = (block: object | undefined) => (block ? Object.keys(block).length : 0);
  return count(detect.usb) + count(detect.serial) + count(detect.file) + (detect.when === undefined ? 0 : 1);
}

/**
 * Whether a profile takes every USB device (`usb: {}` and no other source block). It ranks below
 * every other profile whatever its priority: a catch-all is a fallback, never a competitor.
 */
export function isCatchAll(detect: Detect): boolean {
  return detect.usb !== undefined && Object.keys(detect.usb).length === 0 && !detect.serial && !detect.file;
}

/** The kind of device a profile describes: a tty (with its USB parent), a USB device, or a path. */
export function primarySource(detect: Detect): 'serial' | 'usb' | 'file' {
  if (detect.serial) return 'serial';
  if (detect.usb) return 'usb';
  return 'file';
}
