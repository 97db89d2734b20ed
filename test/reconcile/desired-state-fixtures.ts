/** Profiles, devices and inputs for the desiredState tests, written as users and sources give them. */
import { builtInBackendNames } from '../../engine/backends/index.js';
import { Inventory, type Device } from '../../engine/inventory/inventory.js';
import type { Facts } from '../../engine/core/facts.js';
import { ProfileIndex } from '../../engine/match/matcher.js';
import type { LoadedProfile } from '../../engine/profiles/profile.js';
import type { DesiredStateInput } from '../../engine/reconcile/desired-state.js';
import { profileFromYaml, yaml } from '../match/profile-text.js';

export const host = { hostname: 'gw-7', arch: 'arm64' };

/** A profile for FTDI adapters (0403:6001) with the given `map` lines and notify entries. */
export function ftdiProfile(name: string, map: string[], notify: string[] = ['nuvlabox']): LoadedProfile {
  return profileFromYaml(
    yaml(
      `name: ${name}`,
      'detect:',
      '  usb:',
      '    vendorId: "0403"',
      '    productId: "6001"',
      '    product: "*Sensor*"',
      'map:',
      ...map.map((line) => `  ${line}`),
      'notify:',
      ...notify.map((backend) => `  - backend: ${backend}`),
    ),
    `${name}.yaml`,
  );
}

/** A present USB device as the inventory holds it, after the USB source reported it. */
export function usbDevice(
  key: string,
  usb: Partial<NonNullable<Facts['usb']>> = {},
  since = '2024-05-01T10:00:00.000Z',
): Device {
  const inventory = new Inventory();
  inventory.apply(
    {
      action: 'add',
      key,
      source: 'usb',
      facts: {
        usb: {
          vendorId: '0403',
          productId: '6001',
          product: 'FT232R Sensor',
          manufacturer: 'FTDI',
          serialNumber: null,
          portPath: null,
          ...usb,
        },
      },
    },
    new Date(since),
  );
  return inventory.devices()[0]!;
}

export function input(
  profiles: LoadedProfile[],
  devices: Device[],
  params: Record<string, unknown> = {},
): DesiredStateInput {
  return { index: new ProfileIndex(profiles), devices, params, host, backends: builtInBackendNames() };
}

export const peripheral = [
  'name: Sensor',
  'available: true',
  'classes: [sensor]',
  'interface: USB',
  'serial-number: { var: "usb.serialNumber" }',
];

/** A modem profile for `/dev/ttyS*` that probes for `OK` and maps the reply into `product`. */
export function probedModemProfile(): LoadedProfile {
  return profileFromYaml(
    yaml(
      'name: probed',
      'detect:',
      '  serial:',
      '    path: /dev/ttyS*',
      '    probe: { expect: "^OK" }',
      'map: { available: true, classes: [modem], product: { var: probe.response } }',
      'notify: [{ backend: nuvlabox }]',
    ),
  );
}

/** A present serial port with nothing known but its path. */
export function serialPort(path: string): Device {
  return { key: `serial:${path}`, source: 'serial', since: '2024-05-01T10:00:00.000Z', facts: { serial: { path } } };
}
