import { stringify } from 'yaml';
import type { BackendDefinition } from '../backends/backend-definition.js';
import type { Facts } from '../core/facts.js';
import type { PresentDevice } from '../sources/source.js';
import { evaluateTemplate } from '../map/map-payload.js';
import { fileDetect, fileParentFields, literalGlob } from './new-file-parents.js';
import { networkDetect, networkNameWords, networkPeripheralMap } from './new-network.js';

/** A device as `engine list` shows it: its key, the source that reported it, its facts. */
export type SeenDevice = PresentDevice;

type UsbFacts = NonNullable<Facts['usb']>;

/** A kebab-case profile name from the device's own words. */
function profileName(device: SeenDevice): string {
  const { usb, file, serial, network } = device.facts;
  const parent = file?.usb
    ? [file.usb.vendorName ?? file.usb.vendorId, file.usb.productName ?? file.usb.productId]
    : file?.pci
      ? [file.pci.vendorName ?? file.pci.vendorId, file.pci.deviceName ?? file.pci.deviceId]
      : undefined;
  const words = network
    ? networkNameWords(network)
    : usb
      ? [usb.manufacturer ?? usb.vendorId, usb.product ?? usb.productId]
      : parent
        ? [...parent, file!.name.replace(/\d+$/, '')]
        : [file?.name ?? serial?.path ?? device.key];
  if (serial && usb && serial.interfaceNumber !== null && serial.interfaceNumber !== undefined)
    words.push(`if${serial.interfaceNumber}`);
  const name = words
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return /^[a-z]/.test(name) ? name : `device-${name || 'new'}`;
}

/**
 * The USB strings that tell this device from its neighbours with the same ids, in the order a
 * reader finds natural: the product string always when there is one (generic bridge ids need a
 * string anyway), then the manufacturer or serial number only where they tell a neighbour with
 * the same ids apart.
 */
function usbDetect(usb: UsbFacts, neighbours: readonly UsbFacts[]): Record<string, string> {
  const detect: Record<string, string> = { vendorId: usb.vendorId, productId: usb.productId };
  let alike = neighbours.filter((other) => other.vendorId === usb.vendorId && other.productId === usb.productId);
  for (const field of ['product', 'manufacturer', 'serialNumber'] as const) {
    const value = usb[field];
    if (!value) continue;
    // Past the product string, only what tells a neighbour apart is worth writing.
    if (field !== 'product' && !alike.some((other) => other[field] !== value)) continue;
    detect[field] = literalGlob(value);
    alike = alike.filter((other) => other[field] === value);
  }
  return detect;
}

/** The `detect` block: ids and narrowing strings, the tty's interface, or the exact path. */
function detectOf(device: SeenDevice, neighbours: readonly SeenDevice[]): Record<string, unknown> {
  const { usb, serial, file } = device.facts;
  const neighbourUsb = neighbours.flatMap((other) =>
    other.facts.usb && other.key !== device.key && other.facts.usb.portPath !== usb?.portPath ? [other.facts.usb] : [],
  );
  if (device.source === 'file') return fileDetect(file!);
  if (device.source === 'network') return networkDetect(device.facts.network!);
  if (device.source === 'usb') return { usb: usbDetect(usb!, neighbourUsb) };
  if (!usb) return { serial: { path: literalGlob(serial!.path) } };
  // A tty of a USB device: the device's ids, and which of its ports (its interface number).
  const tty: Record<string, unknown> = { path: `${serial!.path.replace(/\d+$/, '')}*` };
  if (serial!.interfaceNumber !== null && serial!.interfaceNumber !== undefined)
    tty.interfaceNumber = serial!.interfaceNumber;
  return { usb: usbDetect(usb, neighbourUsb), serial: tty };
}

/** A `nuvlabox-peripheral` document (NuvlaBox agent, NuvlaEdge files) for the device. */
function peripheralMap(device: SeenDevice, name: string): Record<string, unknown> {
  const { usb, file, network } = device.facts;
  if (network) return networkPeripheralMap(network, name);
  const classes = [
    ...new Set(
      ((usb ?? file?.usb ?? undefined)?.interfaces ?? [])
        .map((entry) => entry.className.toLowerCase())
        .filter(
          (className) =>
            className && className !== 'vendor specific' && className !== 'communications' && className !== 'cdc data',
        ),
    ),
  ];
  if (device.source === 'serial') classes.unshift('serial');
  if (classes.length === 0) classes.push(device.source === 'file' ? (file?.type ?? 'file') : 'usb');
  return {
    identifier: identifierOf(device, name),
    name: usb?.product ?? usb?.manufacturer ?? file?.usb?.productName ?? file?.pci?.deviceName ?? name,
    available: true,
    classes,
    interface: device.source === 'serial' ? 'Serial' : usb ? 'USB' : 'File',
    ...(usb
      ? {
          vendor: { var: 'usb.manufacturer' },
          product: { var: 'usb.product' },
          'serial-number': { var: 'usb.serialNumber' },
        }
      : {}),
    ...(file ? fileParentFields(file) : {}),
    'device-path': {
      var: device.source === 'serial' ? 'serial.path' : device.source === 'file' ? 'file.path' : 'usb.devicePath',
    },
  };
}

/** An identifier unique per device: the serial number where there is one, else the port. */
function identifierOf(device: SeenDevice, name: string): unknown {
  const { usb } = device.facts;
  if (device.source === 'file') return { cat: [`${name}:`, { var: 'file.path' }] };
  if (device.source === 'network') return { cat: [`${name}:`, { var: 'network.id' }] };
  if (device.source === 'serial' && !usb) return { cat: [`${name}:`, { var: 'serial.path' }] };
  const where = usb!.serialNumber ? [':', { var: 'usb.serialNumber' }] : ['@', { var: 'usb.portPath' }];
  const port = device.source === 'serial' ? [':', { var: 'serial.interfaceNumber' }] : [];
  return { cat: [{ var: 'usb.vendorId' }, ':', { var: 'usb.productId' }, ...where, ...port] };
}

/** The facts a test gives: the device's own, without the empty ones. */
function testFacts(facts: Facts): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const root of ['usb', 'serial', 'file', 'network'] as const) {
    const values = facts[root];
    if (values) kept[root] = withoutEmpty(values);
  }
  return kept;
}

/** An object's fields without the null, absent and empty-list ones; a device file's parents alike. */
function withoutEmpty(values: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).flatMap(([name, value]) => {
      if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return [];
      return [[name, (name === 'usb' || name === 'pci') && typeof value === 'object' ? withoutEmpty(value) : value]];
    }),
  );
}

const withoutNulls = (payload: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== null && value !== undefined));

/**
 * A profile for `device` that matches it and not its `neighbours`, with a map for a backend of
 * `definition`'s type named `backend`, and a test built from the device's facts. Returned as
 * YAML text.
 */
export function newProfile(
  device: SeenDevice,
  neighbours: readonly SeenDevice[],
  backend: string,
  definition: BackendDefinition,
): string {
  const name = profileName(device);
  const map = definition.documentSchema
    ? peripheralMap(device, name)
    : {
        identifier: identifierOf(device, name),
        name: device.facts.usb?.product ?? name,
        // The device's node, not its whole facts: a person writes the fields they need.
        ...(device.source !== 'network' && {
          path: { var: device.source === 'usb' ? 'usb.devicePath' : `${device.source}.path` },
        }),
      };
  const facts = testFacts(device.facts);
  const payload = withoutNulls(evaluateTemplate(map, facts) as Record<string, unknown>);
  const profile = {
    name,
    description: `Made by \`engine new ${device.key}\`; check the map, then the test.`,
    detect: detectOf(device, neighbours),
    map,
    notify: [{ backend, ...definition.example.notify }],
    tests: [{ name: `the device seen as ${device.key}`, facts, expect: { profile: name, payload } }],
  };
  const header = [
    // The editor's completion and checks, for the file saved as profiles/<name>.yaml.
    '# yaml-language-server: $schema=../schemas/profile.schema.json\n',
    Object.keys(definition.example.notify).length > 0
      ? `# The notify options are the ${definition.type} example's: adjust them.\n`
      : '',
  ].join('');
  // Plain YAML, as a person writes it: a value used twice (the test's facts and payload share
  // some) is written twice, not as an anchor and an alias.
  return `${header}${stringify(profile, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
