import type { JsonSchema } from '../../core/json-schema.js';
import { lowercaseHex, nullable } from '../shared/fact-schema.js';

/** The facts `file.usb` and `file.pci`, as the file source lists its facts. */
export const DEVICE_PARENT_FACTS = {
  usb: 'for a device node (or a link to one): the USB device it belongs to, with the fields of usb.* (nodes included); null when none',
  pci: 'for a device node (or a link to one): the nearest PCI device above it (a GPU; for a USB node its host controller): {vendorId, deviceId, subsystemVendorId, subsystemDeviceId, classCode, driver, slot, vendorName, deviceName, className}; null when none',
} as const;

const nullableHex = (digits: number): JsonSchema => ({ anyOf: [lowercaseHex(digits), { type: 'null' }] });

/** Their schemas, for the checks on a test's facts and for editors. */
export const DEVICE_PARENT_FACT_SCHEMAS: Readonly<Record<keyof typeof DEVICE_PARENT_FACTS, JsonSchema>> = {
  usb: {
    type: ['object', 'null'],
    description: 'The USB device, with the fields of `usb.*`.',
    required: ['vendorId', 'productId'],
    properties: { vendorId: lowercaseHex(4), productId: lowercaseHex(4) },
  },
  pci: {
    type: ['object', 'null'],
    additionalProperties: false,
    required: ['vendorId', 'deviceId'],
    properties: {
      vendorId: { ...lowercaseHex(4), examples: ['10de'] },
      deviceId: lowercaseHex(4),
      subsystemVendorId: nullableHex(4),
      subsystemDeviceId: nullableHex(4),
      classCode: {
        ...nullableHex(6),
        description: 'Class, subclass and interface: `030000` a VGA controller, `030200` a 3D controller.',
      },
      driver: nullable('string'),
      slot: { type: 'string', examples: ['0000:01:00.0'] },
      vendorName: nullable('string'),
      deviceName: nullable('string'),
      className: nullable('string'),
    },
  },
};
