import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultIdentifier } from '../../engine/map/default-identifier.js';
import type { Facts } from '../../engine/map/facts.js';
import { mapPayload, whenHolds } from '../../engine/map/map-payload.js';
import type { Profile } from '../../engine/profiles/profile.js';
import { profileFromYaml, yaml } from '../match/profile-text.js';

/** A stdout profile detecting the u-blox GPS, with the given `map` lines (indented two spaces). */
function withMap(...map: string[]): Profile {
  return profileFromYaml(
    yaml('name: mapped', 'detect:', '  usb:', '    vendorId: "1546"', '    productId: "01a7"', 'map:', ...map.map((line) => `  ${line}`), 'notify:', '  - backend: stdout'),
  ).profile;
}

const gps: Facts = {
  usb: { vendorId: '1546', productId: '01a7', manufacturer: 'u-blox AG', product: 'u-blox 7', serialNumber: null, portPath: '1-1.4', devicePath: '/dev/bus/usb/001/004' },
  serial: { path: '/dev/ttyACM0', byId: null, interfaceNumber: 0 },
  host: { hostname: 'gw-7', arch: 'arm64' },
  params: { project: 'p-42', site: { name: 'lab' } },
  event: { action: 'add', at: '2024-05-01T10:00:00.000Z' },
};

describe('mapPayload', () => {
  test('constants stay, expressions are evaluated, null results are dropped', () => {
    const profile = withMap(
      'name: u-blox GPS',
      'available: true',
      'port: 8080',
      'classes: [gps, { var: "usb.vendorId" }]',
      'vendor: { var: "usb.manufacturer" }',
      'serial-number: { var: "usb.serialNumber" }',
      'by-id: { var: "serial.byId" }',
      'device-path: { var: "serial.path" }',
    );
    assert.deepEqual(mapPayload(profile, gps), {
      identifier: '1546:01a7@1-1.4:if0',
      name: 'u-blox GPS',
      available: true,
      port: 8080,
      classes: ['gps', '1546'],
      vendor: 'u-blox AG',
      'device-path': '/dev/ttyACM0',
    });
  });

  test('params, host and event facts reach the map', () => {
    const profile = withMap(
      'identifier: { cat: [{ var: "params.project" }, "/", { var: "host.hostname" }, "/", { var: "usb.vendorId" }] }',
      'description: { cat: [{ var: "event.action" }, " at ", { var: "event.at" }, " on ", { var: "host.arch" }] }',
      'site: { var: "params.site.name" }',
    );
    assert.deepEqual(mapPayload(profile, gps), {
      identifier: 'p-42/gw-7/1546',
      description: 'add at 2024-05-01T10:00:00.000Z on arm64',
      site: 'lab',
    });
  });

  test('objects with several keys are evaluated member by member', () => {
    const profile = withMap('additional-assets:', '  devices: [{ var: "usb.devicePath" }]', '  libraries: [libedgetpu1-std]');
    assert.deepEqual(mapPayload(profile, gps)['additional-assets'], { devices: ['/dev/bus/usb/001/004'], libraries: ['libedgetpu1-std'] });
  });

  test('an identifier that evaluates to null falls back to the default identifier', () => {
    const profile = withMap('identifier: { var: "usb.serialNumber" }', 'name: x');
    assert.equal(mapPayload(profile, gps).identifier, '1546:01a7@1-1.4:if0');
    assert.equal(mapPayload(profile, { ...gps, usb: { ...gps.usb!, serialNumber: 'S1' } }).identifier, 'S1');
  });

  test('whenHolds: true without `when`, the truthiness of `when` otherwise', () => {
    assert.equal(whenHolds(withMap('name: x'), gps), true);
    const gated = profileFromYaml(
      yaml('name: gated', 'detect:', '  usb: { vendorId: "1546", productId: "01a7" }', '  when: { var: "params.project" }', 'map: { name: x }', 'notify: [{ backend: stdout }]'),
    ).profile;
    assert.equal(whenHolds(gated, gps), true);
    assert.equal(whenHolds(gated, { ...gps, params: {} }), false);
    assert.equal(whenHolds(gated, { ...gps, params: { project: '' } }), false);
  });
});

describe('defaultIdentifier', () => {
  const usb = { vendorId: '0403', productId: '6001' };

  test('USB: vid:pid:serial, else vid:pid@portPath, else vid:pid', () => {
    assert.equal(defaultIdentifier({ usb: { ...usb, serialNumber: 'A10K3XYZ', portPath: '1-1.2' } }), '0403:6001:A10K3XYZ');
    assert.equal(defaultIdentifier({ usb: { ...usb, serialNumber: null, portPath: '1-1.2' } }), '0403:6001@1-1.2');
    assert.equal(defaultIdentifier({ usb: { ...usb, serialNumber: '', portPath: '3-2' } }), '0403:6001@3-2');
    assert.equal(defaultIdentifier({ usb }), '0403:6001');
  });

  test('a tty adds :ifN for its interface', () => {
    assert.equal(defaultIdentifier({ usb: { ...usb, serialNumber: 'A10K' }, serial: { path: '/dev/ttyUSB0', interfaceNumber: 2 } }), '0403:6001:A10K:if2');
    assert.equal(defaultIdentifier({ usb: { ...usb, portPath: '1-4' }, serial: { path: '/dev/ttyUSB0', interfaceNumber: 0 } }), '0403:6001@1-4:if0');
    assert.equal(defaultIdentifier({ usb: { ...usb, portPath: '1-4' }, serial: { path: '/dev/ttyUSB0', interfaceNumber: null } }), '0403:6001@1-4');
  });

  test('characters unsafe in a file name are replaced', () => {
    assert.equal(defaultIdentifier({ usb: { ...usb, serialNumber: 'SN 12/34:x' } }), '0403:6001:SN_12_34_x');
  });

  test('without USB: the path, its separators replaced', () => {
    assert.equal(defaultIdentifier({ serial: { path: '/dev/ttyS0' } }), 'dev_ttyS0');
    assert.equal(defaultIdentifier({ file: { path: '/dev/v4l/by-id/usb-cam-index0', name: 'usb-cam-index0', dir: '/dev/v4l/by-id', type: 'symlink' } }), 'dev_v4l_by-id_usb-cam-index0');
    assert.equal(defaultIdentifier({ host: { hostname: 'h', arch: 'x64' } }), undefined);
  });
});
