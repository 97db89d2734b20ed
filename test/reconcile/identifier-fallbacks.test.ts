/*
 * Identifier candidates (`identifier: [...]` in a profile's map): which one each present device
 * goes by, when devices would share one, and that the choice depends only on what is present.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Device } from '../../engine/inventory/inventory.js';
import { desiredState } from '../../engine/reconcile/desired-state.js';
import { profileFromYaml, yaml } from '../match/profile-text.js';
import { ftdiProfile, input, peripheral, usbDevice } from './desired-state-fixtures.js';

/** Serial number first, then the port: what a profile for dongles that may lack one writes. */
const bySerialThenPort = ftdiProfile('sensor', [
  ...peripheral,
  'identifier:',
  '  - { cat: ["sensor:", { var: "usb.serialNumber" }] }',
  '  - { cat: ["sensor@", { var: "usb.portPath" }] }',
]);

/** The identifier each device goes by, by device key, as the entries for the backends hold them. */
function identifiers(devices: Device[], profile = bySerialThenPort): Record<string, string> {
  const state = desiredState(input([profile], devices));
  const entries = [...state.entries.values()];
  assert.equal(new Set(entries.map((entry) => entry.identifier)).size, entries.length, 'nothing registered twice');
  for (const entry of entries)
    assert.equal(entry.payload.identifier, entry.identifier, 'the payload carries the identifier it goes by');
  return Object.fromEntries(entries.map((entry) => [entry.deviceKey, entry.identifier]));
}

const dongle = (port: string, serialNumber: string | null = null) =>
  usbDevice(`usb:${port}`, { portPath: port, serialNumber });

describe('identifier candidates', () => {
  test('a device goes by its first candidate, alone or beside devices that differ', () => {
    assert.deepEqual(identifiers([dongle('1-1', 'S1')]), { 'usb:1-1': 'sensor:S1' });
    assert.deepEqual(identifiers([dongle('1-1', 'S1'), dongle('1-2', 'S2')]), {
      'usb:1-1': 'sensor:S1',
      'usb:1-2': 'sensor:S2',
    });
  });

  test('a candidate that comes out null or blank is skipped', () => {
    const withNull = ftdiProfile('sensor', [
      ...peripheral,
      'identifier: [{ var: "usb.serialNumber" }, { cat: [" "] }, { cat: ["sensor@", { var: "usb.portPath" }] }]',
    ]);
    assert.deepEqual(identifiers([dongle('1-3')], withNull), { 'usb:1-3': 'sensor@1-3' });
    assert.deepEqual(identifiers([dongle('1-3', 'S3')], withNull), { 'usb:1-3': 'S3' });
  });

  test('a list none of whose items gives an identifier falls back to the default identifier', () => {
    const none = ftdiProfile('sensor', [...peripheral, 'identifier: [{ var: "usb.serialNumber" }]']);
    assert.deepEqual(identifiers([dongle('1-4')], none), { 'usb:1-4': '0403:6001@1-4' });
  });

  test('two serial-less identical dongles each go by their port, with a warning naming both', () => {
    const state = desiredState(input([bySerialThenPort], [dongle('1-1'), dongle('1-2')]));
    assert.deepEqual(
      [...state.entries.values()].map((entry) => [entry.deviceKey, entry.identifier]),
      [
        ['usb:1-1', 'sensor@1-1'],
        ['usb:1-2', 'sensor@1-2'],
      ],
    );
    assert.deepEqual(
      state.devices.map((device) => [device.problems, device.warnings]),
      [
        [
          [],
          [
            'devices usb:1-1 and usb:1-2 would share identifier sensor:; this one goes by sensor@1-1, the first of its identifier candidates that tells them apart',
          ],
        ],
        [
          [],
          [
            'devices usb:1-2 and usb:1-1 would share identifier sensor:; this one goes by sensor@1-2, the first of its identifier candidates that tells them apart',
          ],
        ],
      ],
    );
    assert.equal(state.devices[0]!.payload!.identifier, 'sensor@1-1', '/devices shows the identifier it goes by');
  });

  test('only the devices that share a candidate fall back; a third one keeps its own', () => {
    assert.deepEqual(identifiers([dongle('1-1', 'CLONE'), dongle('1-2', 'CLONE'), dongle('1-3', 'S3')]), {
      'usb:1-1': 'sensor@1-1',
      'usb:1-2': 'sensor@1-2',
      'usb:1-3': 'sensor:S3',
    });
  });

  test('the identifiers depend on the devices present, not on the order they came in', () => {
    const first = dongle('1-1', 'CLONE');
    const second = dongle('1-2', 'CLONE');
    assert.deepEqual(identifiers([first, second]), identifiers([second, first]));
    // The documented price: the first is renamed when its twin comes, and renamed back when it goes.
    assert.deepEqual(identifiers([first]), { 'usb:1-1': 'sensor:CLONE' });
  });

  test('a device that moves to another port keeps its identifier when its serial number is unique', () => {
    const before = identifiers([dongle('1-1', 'S1'), dongle('1-2', 'S2')]);
    const after = identifiers([dongle('1-4', 'S1'), dongle('1-2', 'S2')]);
    assert.equal(before['usb:1-1'], 'sensor:S1');
    assert.equal(after['usb:1-4'], 'sensor:S1');
  });

  test('default identifiers: two devices reporting one serial number go by serial and port', () => {
    assert.deepEqual(
      identifiers([dongle('1-1', 'A50285BI'), dongle('1-2', 'A50285BI')], ftdiProfile('sensor', peripheral)),
      {
        'usb:1-1': '0403:6001:A50285BI@1-1',
        'usb:1-2': '0403:6001:A50285BI@1-2',
      },
    );
    assert.deepEqual(identifiers([dongle('1-1', 'A50285BI')], ftdiProfile('sensor', peripheral)), {
      'usb:1-1': '0403:6001:A50285BI',
    });
  });

  test('devices sent to different backends do not compete for an identifier', () => {
    const profile = (name: string, product: string, backend: string) =>
      profileFromYaml(
        yaml(
          `name: ${name}`,
          `detect: { usb: { vendorId: "0403", productId: "6001", product: "${product}" } }`,
          `map: { identifier: [same, other], available: true, classes: [sensor] }`,
          `notify: [{ backend: ${backend} }]`,
        ),
      );
    const state = desiredState(
      input(
        [profile('sensor-a', 'Sensor A', 'stdout'), profile('sensor-b', 'Sensor B', 'nuvlabox')],
        [usbDevice('usb:1-1', { product: 'Sensor A' }), usbDevice('usb:1-2', { product: 'Sensor B' })],
      ),
    );
    assert.deepEqual(
      [...state.entries.values()].map((entry) => [entry.backend, entry.identifier]),
      [
        ['stdout', 'same'],
        ['nuvlabox', 'same'],
      ],
    );
    assert.deepEqual(
      state.devices.map((device) => device.warnings),
      [undefined, undefined],
    );
  });

  test('when no candidate tells them apart, both are reported and one is delivered', () => {
    const constant = ftdiProfile('sensor', [...peripheral, 'identifier: [hub, { var: "usb.product" }]']);
    const state = desiredState(input([constant], [dongle('1-1'), dongle('1-2')]));
    assert.deepEqual(
      [...state.entries.values()].map((entry) => entry.deviceKey),
      ['usb:1-1'],
    );
    const reason =
      'share identifier hub, and none of their identifier candidates tells them apart (hub, FT232R Sensor)';
    assert.deepEqual(state.devices[0]!.warnings, [
      `devices usb:1-1 and usb:1-2 ${reason}: only this one is delivered to backend nuvlabox`,
    ]);
    assert.deepEqual(state.devices[1]!.problems, [
      `devices usb:1-2 and usb:1-1 ${reason}: only usb:1-1 is delivered to backend nuvlabox`,
    ]);
  });
});
