import type { Facts } from '../core/facts.js';

type FileFacts = NonNullable<Facts['file']>;

/** A glob matching exactly `text`: the glob's special characters escaped. */
export const literalGlob = (text: string) => text.replace(/[\\*?[\]{}()!+@]/g, (char) => `\\${char}`);

const equals = (fact: string, value: string) => ({ '==': [{ var: fact }, value] });

/**
 * The `detect` of a device file. A node with a USB or PCI parent is told by its parent's ids
 * (and serial number), which stay when the node's number changes (video0 today, video2 after a
 * replug), so its path becomes a glob on the name without its number; any other file is its
 * exact path.
 */
export function fileDetect(file: FileFacts): Record<string, unknown> {
  const conditions: unknown[] = [];
  if (file.usb) {
    conditions.push(equals('file.usb.vendorId', file.usb.vendorId), equals('file.usb.productId', file.usb.productId));
    if (file.usb.serialNumber) conditions.push(equals('file.usb.serialNumber', file.usb.serialNumber));
  } else if (file.pci) {
    conditions.push(equals('file.pci.vendorId', file.pci.vendorId), equals('file.pci.deviceId', file.pci.deviceId));
  }
  if (conditions.length === 0) return { file: { path: literalGlob(file.path) } };
  return { file: { path: `${literalGlob(file.path.replace(/\d+$/, ''))}*` }, when: { and: conditions } };
}

/** The peripheral fields a device file's parent fills: vendor, product, serial number; a camera's video-device. */
export function fileParentFields(file: FileFacts): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (file.usb) {
    fields.vendor = { var: 'file.usb.vendorName' };
    fields.product = { var: 'file.usb.productName' };
    fields['serial-number'] = { var: 'file.usb.serialNumber' };
  } else if (file.pci) {
    fields.vendor = { var: 'file.pci.vendorName' };
    fields.product = { var: 'file.pci.deviceName' };
  }
  // The node itself among its USB device's nodes: a video4linux one is a camera's video device.
  const node = file.usb?.nodes?.find((item) => item.major === file.major && item.minor === file.minor);
  if (node?.subsystem === 'video4linux') fields['video-device'] = { var: 'file.path' };
  return fields;
}
