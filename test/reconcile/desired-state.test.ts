import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Inventory, type Device } from '../../engine/inventory/inventory.js';
import type { Facts } from '../../engine/core/facts.js';
import { desiredState, entryKey } from '../../engine/reconcile/desired-state.js';
import { profileFromYaml, yaml } from '../match/profile-text.js';
import { ftdiProfile, input, peripheral, probedModemProfile, serialPort, usbDevice } from './desired-state-fixtures.js';

describe('desiredState', () => {
  test('a matched device becomes one entry per notified backend, with the default identifier', () => {
    const profile = ftdiProfile('sensor', peripheral, ['nuvlabox', 'stdout']);
    const device = usbDevice('usb:1-1.2', { serialNumber: 'A10K3', portPath: '1-1.2' });
    const state = desiredState(input([profile], [device]));
    const payload = {
      identifier: '0403:6001:A10K3',
      name: 'Sensor',
      available: true,
      classes: ['sensor'],
      interface: 'USB',
      'serial-number': 'A10K3',
    };
    assert.deepEqual([...state.entries.keys()].sort(), [
      entryKey('nuvlabox', '0403:6001:A10K3'),
      entryKey('stdout', '0403:6001:A10K3'),
    ]);
    const { facts, ...entry } = state.entries.get(entryKey('nuvlabox', '0403:6001:A10K3'))!;
    assert.equal(facts?.usb?.serialNumber, 'A10K3', 'the facts travel with the entry, for local actions');
    assert.deepEqual(entry, {
      backend: 'nuvlabox',
      identifier: '0403:6001:A10K3',
      payload,
      notify: { backend: 'nuvlabox' },
      profile: 'sensor',
      deviceKey: 'usb:1-1.2',
    });
    assert.equal(state.devices.length, 1);
    assert.equal(state.devices[0]!.match.winner?.profile.name, 'sensor');
    assert.deepEqual(state.devices[0]!.problems, []);
  });

  test('null values are dropped from the payload (no serial number, no serial-number field)', () => {
    const state = desiredState(
      input([ftdiProfile('sensor', peripheral)], [usbDevice('usb:1-1.3', { portPath: '1-1.3' })]),
    );
    const entry = state.entries.get(entryKey('nuvlabox', '0403:6001@1-1.3'));
    assert.ok(entry, `entries: ${[...state.entries.keys()].join(', ')}`);
    assert.equal('serial-number' in entry.payload, false);
    assert.deepEqual(Object.keys(entry.payload).sort(), ['available', 'classes', 'identifier', 'interface', 'name']);
  });

  test('params, host and event facts reach the map', () => {
    const profile = ftdiProfile('sensor', [
      ...peripheral,
      'identifier: { cat: [{ var: "params.project" }, "-", { var: "host.hostname" }, "-", { var: "usb.portPath" }] }',
      'description: { cat: ["seen at ", { var: "event.at" }, " (", { var: "event.action" }, ") on ", { var: "host.arch" }] }',
    ]);
    const device = usbDevice('usb:2-1', { portPath: '2-1' }, '2024-06-02T08:30:00.000Z');
    const state = desiredState(input([profile], [device], { project: 'p42' }));
    const entry = state.entries.get(entryKey('nuvlabox', 'p42-gw-7-2-1'));
    assert.ok(entry, `entries: ${[...state.entries.keys()].join(', ')}`);
    assert.equal(entry.payload.description, 'seen at 2024-06-02T08:30:00.000Z (add) on arm64');
  });

  test('a payload failing the nuvlabox document schema is a problem on the device, not desired', () => {
    const missingAvailable = ftdiProfile('no-available', ['name: Sensor', 'classes: [sensor]']);
    const extraField = ftdiProfile('extra-field', [
      'available: true',
      'classes: [sensor]',
      'vendor-id: { var: "usb.vendorId" }',
    ]);
    // Computed: a wrong constant is already refused by the profile's validation.
    const wrongType = ftdiProfile('wrong-type', ['available: { cat: ["yes", " please"] }', 'classes: [sensor]']);
    for (const [profile, field] of [
      [missingAvailable, 'available'],
      [extraField, 'vendor-id'],
      [wrongType, 'available'],
    ] as const) {
      const state = desiredState(input([profile], [usbDevice('usb:1-1', { serialNumber: 'S1' })]));
      assert.equal(state.entries.size, 0, profile.profile.name);
      const problems = state.devices[0]!.problems;
      assert.equal(problems.length, 1, `${profile.profile.name}: ${problems.join('; ')}`);
      assert.ok(
        problems[0]!.startsWith(`profile ${profile.profile.name}, backend nuvlabox: map field \`${field}\` `),
        problems[0],
      );
    }
  });

  test('a schema failure for one backend does not stop another backend without a schema', () => {
    const profile = ftdiProfile(
      'extra-field',
      ['available: true', 'classes: [sensor]', 'vendor-id: { var: "usb.vendorId" }'],
      ['nuvlabox', 'stdout'],
    );
    const state = desiredState(input([profile], [usbDevice('usb:1-1', { serialNumber: 'S1' })]));
    assert.deepEqual([...state.entries.keys()], [entryKey('stdout', '0403:6001:S1')]);
    assert.deepEqual(state.devices[0]!.problems, [
      'profile extra-field, backend nuvlabox: map field `vendor-id` is not a nuvlabox-agent document field',
    ]);
  });

  test('two devices mapping to the same identifier, nothing to tell them apart: the first is kept, both reported', () => {
    const profile = ftdiProfile('sensor', [...peripheral, 'identifier: { cat: ["sensor-", { var: "usb.product" }] }']);
    const first = usbDevice('usb:1-1', { serialNumber: 'S1' });
    const second = usbDevice('usb:1-2', { serialNumber: 'S2' });
    const state = desiredState(input([profile], [first, second]));
    assert.equal(state.entries.size, 1);
    const entry = state.entries.get(entryKey('nuvlabox', 'sensor-FT232R Sensor'));
    assert.equal(entry?.deviceKey, 'usb:1-1');
    assert.equal(entry?.payload['serial-number'], 'S1');
    const shared =
      'share identifier sensor-FT232R Sensor, and none of their identifier candidates tells them apart (sensor-FT232R Sensor)';
    assert.deepEqual(state.devices[0]!.problems, []);
    assert.deepEqual(state.devices[0]!.warnings, [
      `devices usb:1-1 and usb:1-2 ${shared}: only this one is delivered to backend nuvlabox`,
    ]);
    assert.deepEqual(state.devices[1]!.problems, [
      `devices usb:1-2 and usb:1-1 ${shared}: only usb:1-1 is delivered to backend nuvlabox`,
    ]);
  });

  test('identical devices without serial numbers get distinct default identifiers from their ports', () => {
    const profile = ftdiProfile('sensor', peripheral);
    const state = desiredState(
      input([profile], [usbDevice('usb:1-1', { portPath: '1-1' }), usbDevice('usb:1-2', { portPath: '1-2' })]),
    );
    assert.deepEqual(
      [...state.entries.values()].map((entry) => [entry.identifier, entry.deviceKey]),
      [
        ['0403:6001@1-1', 'usb:1-1'],
        ['0403:6001@1-2', 'usb:1-2'],
      ],
    );
  });

  test('a serial device gets :ifN in its default identifier', () => {
    const tty = profileFromYaml(
      yaml(
        'name: ftdi-tty',
        'detect:',
        '  usb: { vendorId: "0403", productId: "6001", product: "*Sensor*" }',
        '  serial: { path: /dev/ttyUSB* }',
        'map: { available: true, classes: [serial], device-path: { var: "serial.path" } }',
        'notify: [{ backend: nuvlabox }]',
      ),
    );
    const device: Device = {
      key: 'serial:/dev/ttyUSB0',
      source: 'serial',
      since: '2024-05-01T10:00:00.000Z',
      facts: {
        usb: { vendorId: '0403', productId: '6001', product: 'FT232R Sensor', serialNumber: 'A10K3' },
        serial: { path: '/dev/ttyUSB0', interfaceNumber: 1 },
      },
    };
    const state = desiredState(input([tty], [device]));
    assert.deepEqual(state.entries.get(entryKey('nuvlabox', '0403:6001:A10K3:if1'))?.payload, {
      available: true,
      classes: ['serial'],
      'device-path': '/dev/ttyUSB0',
      identifier: '0403:6001:A10K3:if1',
    });
  });

  test('a device no profile matches is listed with its candidates and no entry', () => {
    const profile = ftdiProfile('sensor', peripheral);
    const state = desiredState(input([profile], [usbDevice('usb:1-1', { product: 'FT232R USB UART' })]));
    assert.equal(state.entries.size, 0);
    assert.equal(state.devices[0]!.match.winner, undefined);
    assert.deepEqual(state.devices[0]!.match.candidates, [
      {
        profile: 'sensor',
        file: 'sensor.yaml',
        matched: false,
        reason: 'usb.product is "FT232R USB UART", not "*Sensor*"',
      },
    ]);
    assert.deepEqual(state.devices[0]!.problems, []);
  });

  test('a notify entry naming a backend that does not exist is reported', () => {
    const profile = ftdiProfile('sensor', peripheral, ['stdout']);
    const state = desiredState({
      ...input([profile], [usbDevice('usb:1-1', { serialNumber: 'S1' })]),
      backends: new Map(),
    });
    assert.equal(state.entries.size, 0);
    assert.deepEqual(state.devices[0]!.problems, ['profile sensor, backend stdout: no backend named stdout']);
  });

  test('probe results are asked per device key and profile, and the winner probe facts reach the map', () => {
    const probed = probedModemProfile();
    const device = serialPort('/dev/ttyS1');
    const asked: string[] = [];
    const state = desiredState({
      ...input([probed], [device]),
      probed: (key, entry) => (
        asked.push(`${key} ${entry.profile.name}`),
        { facts: { response: 'OK modem', hex: '4f 4b', groups: [] } }
      ),
    });
    assert.deepEqual(asked, ['serial:/dev/ttyS1 probed']);
    assert.deepEqual([...state.entries.keys()], [entryKey('nuvlabox', 'dev_ttyS1')]);
    assert.equal(state.entries.get(entryKey('nuvlabox', 'dev_ttyS1'))!.payload.product, 'OK modem');
  });
});

describe('a USB device and its tty', () => {
  const usbOnly = ftdiProfile('any-ftdi', peripheral, ['stdout']);
  const ttyProfile = profileFromYaml(
    yaml(
      'name: ftdi-tty',
      'detect:',
      '  usb: { vendorId: "0403", productId: "6001", product: "FT232R*" }',
      '  serial: { path: "/dev/ttyUSB*" }',
      'map: { available: true, classes: [serial] }',
      'notify: [{ backend: stdout }]',
    ),
  );
  const usb = usbDevice('usb:1-1.2', { serialNumber: 'A10K3', portPath: '1-1.2' });
  const tty: Device = {
    key: 'serial:1-1.2:if00',
    source: 'serial',
    since: usb.since,
    facts: { usb: usb.facts.usb, serial: { path: '/dev/ttyUSB0', interfaceNumber: 0 } },
  };

  test('a tty matched by a serial profile claims its USB device: registered once, not twice', () => {
    const state = desiredState(input([usbOnly, ttyProfile], [usb, tty]));
    assert.deepEqual(
      [...state.entries.values()].map((entry) => `${entry.profile} ${entry.deviceKey}`),
      ['ftdi-tty serial:1-1.2:if00'],
    );
    const usbView = state.devices.find((device) => device.key === 'usb:1-1.2')!;
    assert.equal(usbView.match.winner, undefined);
    assert.equal(usbView.match.candidates[0]!.reason, 'the device is claimed by profile ftdi-tty through /dev/ttyUSB0');
  });

  test('while probes of its tty are still to run, the USB device waits for them', () => {
    const probed = profileFromYaml(
      yaml(
        'name: ftdi-probed',
        'detect:',
        '  usb: { vendorId: "0403", productId: "6001" }',
        '  serial: { path: "/dev/ttyUSB*", probe: { expect: "^OK" } }',
        'map: { available: true, classes: [serial] }',
        'notify: [{ backend: stdout }]',
      ),
    );
    const waiting = desiredState({ ...input([usbOnly, probed], [usb, tty]), probed: () => undefined });
    assert.equal(waiting.entries.size, 0);
    assert.equal(
      waiting.devices.find((device) => device.key === 'usb:1-1.2')!.match.candidates[0]!.reason,
      'waiting for the serial probes of /dev/ttyUSB0',
    );
    const refused = desiredState({
      ...input([usbOnly, probed], [usb, tty]),
      probed: () => ({ reason: 'no reply within 2000 ms' }),
    });
    assert.deepEqual(
      [...refused.entries.values()].map((entry) => entry.profile),
      ['any-ftdi'],
    );
  });

  test('until the tty is there (or when no serial profile wants it), the USB profile has it', () => {
    assert.deepEqual(
      [...desiredState(input([usbOnly, ttyProfile], [usb])).entries.values()].map((entry) => entry.profile),
      ['any-ftdi'],
    );
    assert.deepEqual(
      [...desiredState(input([usbOnly], [usb, tty])).entries.values()].map((entry) => entry.profile),
      ['any-ftdi'],
    );
  });
});

describe('Inventory', () => {
  test('keeps first-seen time and facts; remove forgets; unchanged facts are no change', () => {
    const inventory = new Inventory();
    const facts: Facts = {
      file: { path: '/dev/video0', name: 'video0', dir: '/dev', type: 'character', major: 81, minor: 0 },
    };
    assert.equal(
      inventory.apply(
        { action: 'add', key: 'file:/dev/video0', source: 'file', facts },
        new Date('2024-01-01T00:00:00Z'),
      ),
      true,
    );
    assert.equal(
      inventory.apply(
        { action: 'change', key: 'file:/dev/video0', source: 'file', facts },
        new Date('2024-01-02T00:00:00Z'),
      ),
      false,
    );
    const changed: Facts = { file: { ...facts.file!, minor: 1 } };
    assert.equal(
      inventory.apply(
        { action: 'change', key: 'file:/dev/video0', source: 'file', facts: changed },
        new Date('2024-01-03T00:00:00Z'),
      ),
      true,
    );
    assert.deepEqual(inventory.devices(), [
      { key: 'file:/dev/video0', source: 'file', facts: changed, since: '2024-01-01T00:00:00.000Z' },
    ]);
    assert.equal(inventory.apply({ action: 'remove', key: 'file:/dev/video0', source: 'file', facts: changed }), true);
    assert.equal(inventory.apply({ action: 'remove', key: 'file:/dev/video0', source: 'file', facts: changed }), false);
    assert.equal(inventory.size, 0);
  });
});
