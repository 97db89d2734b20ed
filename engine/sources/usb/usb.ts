import type { JsonSchema } from '../../core/json-schema.js';
import { lowercaseHex, nullable } from '../shared/fact-schema.js';
import { DEVICE_RESET_HOLD_MS, sourceHoldMsSchema } from '../shared/hold-ms-schema.js';
import { sysfsResyncMsSchema } from '../shared/rescan-trigger.js';
import type { SourceDefinition } from '../source-definition.js';
import { USB_CLASS_NAMES, usbClassName } from './usb-class-names.js';
import { usbMismatch, type UsbDetect } from './usb-detect.js';
import { lintUsbBlock, usbDistinguishes } from './usb-lint.js';
import { UsbSource, type UsbSourceOptions } from './usb-source.js';
import { usbNetSchema, usbNodesSchema } from './usb-node-schema.js';
import { enumerateUsbDevices, usbDevice } from './usb-sysfs.js';

/** The `sources.usb` settings of the config file. */
export type UsbConfig = Partial<Pick<UsbSourceOptions, 'mode' | 'pollIntervalMs' | 'resyncMs'> & { holdMs: number }>;

const USB_ID_PATTERN = '^[0-9a-fA-F]{4}$';

function usbIdSchema(what: string, example: string): JsonSchema {
  return {
    description: `USB ${what} id as a quoted 4-digit hex string (\`"${example}"\`), or a list of them. Quote it: YAML reads \`0403\` as the number 403.`,
    type: ['string', 'array'],
    pattern: USB_ID_PATTERN,
    minItems: 1,
    items: { type: 'string', pattern: USB_ID_PATTERN },
    examples: [example, [example]],
  };
}

function stringGlobSchema(what: string, example: string): JsonSchema {
  return {
    description: `Glob on the USB ${what} string, case-insensitive and anchored, with fnmatch's rules (\`*\` for any run, \`?\` for one character, \`[...]\` a set, \`[!...]\` its complement). A blank string counts as none.`,
    type: 'string',
    minLength: 1,
    examples: [example],
  };
}

const CLASS_NAMES = Object.values(USB_CLASS_NAMES);

/**
 * One interface class: a name from the list (an enum, which editors complete), the same name in
 * any case (matching ignores case), or 2 hex digits. A wrong value gets one error naming the
 * closest name (see schemaIssues on anyOf).
 */
const interfaceClassValue: JsonSchema = {
  anyOf: [
    {
      type: 'string',
      enum: CLASS_NAMES,
      description: 'a USB class name (Video, Audio, HID, Mass Storage, ...; any case) or 2 hex digits ("0e")',
    },
    { type: 'string', pattern: '^[0-9a-fA-F]{2}$' },
    {
      type: 'string',
      pattern: `^(${CLASS_NAMES.map((name) => name.replace(/[a-zA-Z]/g, (letter) => `[${letter.toUpperCase()}${letter.toLowerCase()}]`).replace(/\//g, '\\/')).join('|')})$`,
    },
  ],
};

export const usbSource: SourceDefinition<UsbConfig, UsbDetect, 'usb'> = {
  kind: 'usb',
  description: 'USB devices, from sysfs, with hotplug through libusb or inotify on /dev/bus/usb.',
  detectSchema: {
    type: 'object',
    description:
      'Matches a USB device. Every key given must hold. Empty (`usb: {}`) alone in `detect`: a catch-all that matches every USB device, ranked below every other profile.',
    additionalProperties: false,
    properties: {
      vendorId: usbIdSchema('vendor', '1546'),
      productId: usbIdSchema('product', '01a7'),
      manufacturer: stringGlobSchema('manufacturer', 'u-blox*'),
      product: stringGlobSchema('product', '*GPS*'),
      serialNumber: stringGlobSchema('serial number', 'A10K*'),
      interfaceClass: {
        description:
          'Some interface of the device has this class: a readable name (`Video`, `Audio`, `HID`, `Mass Storage`, ...) or 2 hex digits (`"0e"`), or a list of them.',
        anyOf: [
          ...(interfaceClassValue.anyOf as JsonSchema[]),
          { type: 'array', minItems: 1, items: interfaceClassValue },
        ],
        examples: ['Video', ['Video', 'Audio']],
      },
    },
    examples: [{ vendorId: '1546', productId: '01a7', manufacturer: 'u-blox*' }],
  },
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      mode: {
        enum: ['auto', 'libusb', 'inotify', 'polling'],
        default: 'auto',
        description:
          'How changes are noticed. auto: libusb hotplug and inotify on /dev/bus/usb together (inotify still works in a container that gets no uevents); libusb or inotify: that one alone; polling: re-read sysfs every pollIntervalMs.',
      },
      pollIntervalMs: { type: 'integer', minimum: 200, default: 5000, description: 'Interval of the polling mode.' },
      resyncMs: sysfsResyncMsSchema,
      holdMs: sourceHoldMsSchema(DEVICE_RESET_HOLD_MS),
    },
  },
  facts: {
    vendorId: 'vendor id, lowercase 4-digit hex',
    productId: 'product id, lowercase 4-digit hex',
    manufacturer: 'manufacturer string, trailing blanks trimmed; null when absent or blank',
    product: 'product string, trailing blanks trimmed; null when absent or blank',
    vendorName:
      'the manufacturer string, or else the vendor name from usb.ids (as udev ID_VENDOR_FROM_DATABASE); null when neither',
    productName:
      'the product string, or else the product name from usb.ids (as udev ID_MODEL_FROM_DATABASE); null when neither',
    serialNumber: 'serial number string, trailing blanks trimmed; null when absent or blank',
    bcdDevice: 'device release number, 4-digit hex',
    deviceClass: 'device class, 2-digit hex',
    busNumber: 'bus number',
    deviceAddress: 'device address on the bus',
    portPath: 'physical port path, e.g. 1-1.4',
    devicePath: 'device node, e.g. /dev/bus/usb/001/004',
    interfaces:
      'list of {number, class, subclass, protocol, driver, name, className}; name is the interface string or null',
    nodes:
      'device nodes below it, in /dev order: list of {subsystem, devnode, interface, major, minor}, plus name and index (video4linux), name (input), size in bytes and partition (block)',
    net: 'network interfaces below it: list of {name, interface, address}',
  },
  requiredFacts: ['vendorId', 'productId'],
  factSchemas: {
    vendorId: { ...lowercaseHex(4), description: 'Lowercase 4-digit hex, quoted, as the USB source reports it.' },
    productId: { ...lowercaseHex(4), description: 'Lowercase 4-digit hex, quoted, as the USB source reports it.' },
    busNumber: nullable('integer'),
    deviceAddress: nullable('integer'),
    interfaces: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['number', 'class'],
        properties: {
          number: { type: 'integer', minimum: 0 },
          class: lowercaseHex(2),
          subclass: lowercaseHex(2),
          protocol: lowercaseHex(2),
          driver: nullable('string'),
          name: { ...nullable('string'), description: "The interface's own string, or null." },
          className: { type: 'string', description: 'Derived from `class` when absent.' },
        },
      },
    },
    nodes: usbNodesSchema,
    net: usbNetSchema,
  },
  globKeys: { manufacturer: 'text', product: 'text', serialNumber: 'text' },
  create: (config, setup) => new UsbSource(setup, config),
  enumerate: async () => [...enumerateUsbDevices()].map(([port, usb]) => usbDevice(port, usb)),
  describe: ({ usb }) =>
    `usb ${usb!.portPath} ${usb!.vendorId}:${usb!.productId} ${[usb!.manufacturer, usb!.product].filter(Boolean).join(' ')}`.trim(),
  mismatch: usbMismatch,
  completeFacts(usb) {
    const interfaces = usb.interfaces as { class: string; className?: string }[] | undefined;
    return {
      ...usb,
      ...(interfaces
        ? { interfaces: interfaces.map((item) => ({ className: usbClassName(item.class), ...item })) }
        : {}),
    };
  },
  distinguishes: usbDistinguishes,
  lint: lintUsbBlock,
};
