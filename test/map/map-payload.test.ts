import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultIdentifier, defaultIdentifierCandidates } from '../../engine/map/default-identifier.js';
import type { Facts } from '../../engine/core/facts.js';
import { mapDevice, mapPayload, whenHolds } from '../../engine/map/map-payload.js';
import type { Profile } from '../../engine/profiles/profile.js';
import { profileFromYaml, yaml } from '../match/profile-text.js';

/** A stdout profile detecting the u-blox GPS, with the given `map` lines (indented two spaces). */
function withMap(...map: string[]): Profile {
  return profileFromYaml(
    yaml(
      'name: mapped',
      'detect:',
      '  usb:',
      '    vendorId: "1546"',
      '    productId: "01a7"',
      'map:',
      ...map.map((line) => `  ${line}`),
      'notify:',
      '  - backend: stdout',
    ),
  ).profile;
}

const gps: Facts = {
  usb: {
    vendorId: '1546',
    productId: '01a7',
    manufacturer: 'u-blox AG',
    product: 'u-blox 7',
    serialNumber: null,
    portPath: '1-1.4',
    devicePath: '/dev/bus/usb/001/004',
  },
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
    const profile = withMap(
      'additional-assets:',
      '  devices: [{ var: "usb.devicePath" }]',
      '  libraries: [libedgetpu1-std]',
    );
    assert.deepEqual(mapPayload(profile, gps)['additional-assets'], {
      devices: ['/dev/bus/usb/001/004'],
      libraries: ['libedgetpu1-std'],
    });
  });

  test('an identifier that evaluates to null falls back to the default identifier', () => {
    const profile = withMap('identifier: { var: "usb.serialNumber" }', 'name: x');
    assert.equal(mapPayload(profile, gps).identifier, '1546:01a7@1-1.4:if0');
    assert.equal(mapPayload(profile, { ...gps, usb: { ...gps.usb!, serialNumber: 'S1' } }).identifier, 'S1');
  });

  test('whenHolds: true without `when`, the truthiness of `when` otherwise', () => {
    assert.equal(whenHolds(withMap('name: x'), gps), true);
    const gated = profileFromYaml(
      yaml(
        'name: gated',
        'detect:',
        '  usb: { vendorId: "1546", productId: "01a7" }',
        '  when: { var: "params.project" }',
        'map: { name: x }',
        'notify: [{ backend: stdout }]',
      ),
    ).profile;
    assert.equal(whenHolds(gated, gps), true);
    assert.equal(whenHolds(gated, { ...gps, params: {} }), false);
    assert.equal(whenHolds(gated, { ...gps, params: { project: '' } }), false);
  });
});

describe('mapPayload on hostile maps', () => {
  /** A profile whose map is given as JSON, so that it can hold what validation would refuse. */
  const withJsonMap = (json: string): Profile => ({ ...withMap('name: x'), map: JSON.parse(json) as Profile['map'] });

  test('`__proto__`, `constructor` and `prototype` never reach the payload, nor become its prototype', () => {
    const payload = mapPayload(
      withJsonMap(
        '{"__proto__": {"polluted": true}, "constructor": 1, "nested": {"__proto__": {"polluted": true}, "kept": 2}, "name": "x"}',
      ),
      gps,
    );
    assert.equal(Object.getPrototypeOf(payload), Object.prototype);
    assert.equal((payload as { polluted?: unknown }).polluted, undefined);
    assert.equal(Object.getPrototypeOf(payload.nested), Object.prototype);
    assert.deepEqual(Object.keys(payload).sort(), ['identifier', 'name', 'nested']);
    assert.deepEqual(Object.keys(payload.nested as object), ['kept']);
  });

  test('NaN and Infinity are left out like null; nested, they become null as in JSON', () => {
    const payload = mapPayload(
      withMap(
        'nan: { "/": [0, 0] }',
        'inf: { "/": [1, 0] }',
        'minus: { "-": [{ "/": [1, 0] }] }',
        'list: [{ "/": [0, 0] }, 1]',
        'name: x',
      ),
      gps,
    );
    assert.deepEqual(payload, { identifier: '1546:01a7@1-1.4:if0', name: 'x', list: [null, 1] });
  });

  test('a payload over 256 KiB is refused, not returned', () => {
    const big = 'x'.repeat(200 * 1024);
    const profile = withMap('a: { var: "params.big" }', 'b: { var: "params.big" }');
    assert.throws(() => mapPayload(profile, { ...gps, params: { big } }), /larger than the cap of 262144 bytes/);
    assert.equal(mapPayload(profile, { ...gps, params: { big: 'small' } }).a, 'small');
  });

  test('a reduce that doubles a string or a list thirty times is stopped, with the reason', () => {
    const thirty = `[${Array.from({ length: 30 }, (_, index) => index).join(', ')}]`;
    const strings = withMap(
      `name: { reduce: [${thirty}, { cat: [{ var: accumulator }, { var: accumulator }] }, "ab"] }`,
    );
    assert.throws(() => mapPayload(strings, gps), /value over 1048576 characters/);
    const lists = withMap(
      `name: { reduce: [${thirty}, { merge: [{ var: accumulator }, { var: accumulator }] }, [1]] }`,
    );
    assert.throws(() => mapPayload(lists, gps), /value over 1048576 characters/);
    // Lists of the same list: small in memory, 2^30 times over as JSON.
    const shared = withMap(`name: { reduce: [${thirty}, [{ var: accumulator }, { var: accumulator }], [1]] }`);
    assert.throws(() => mapPayload(shared, gps), /value over 1048576 characters/);
  });

  test('nested iterations are stopped after a bounded number of operations', () => {
    const thousand = `[${Array.from({ length: 1000 }, () => 0).join(',')}]`;
    const profile = withMap(
      `name: { map: [${thousand}, { reduce: [${thousand}, { "+": [{ var: accumulator }, 1] }, 0] }] }`,
    );
    assert.throws(() => mapPayload(profile, gps), /stopped after 50000 operations/);
  });

  test('whenHolds throws what the expression cannot evaluate, for the matcher to report', () => {
    const profile: Profile = {
      ...withMap('name: x'),
      detect: { usb: { vendorId: '1546', productId: '01a7' }, when: { missing_some: [1, { var: 'params.nothing' }] } },
    };
    assert.throws(() => whenHolds(profile, gps), TypeError);
  });
});

describe('defaultIdentifier', () => {
  const usb = { vendorId: '0403', productId: '6001' };

  test('USB: vid:pid:serial, else vid:pid@portPath, else vid:pid', () => {
    assert.equal(
      defaultIdentifier({ usb: { ...usb, serialNumber: 'A10K3XYZ', portPath: '1-1.2' } }),
      '0403:6001:A10K3XYZ',
    );
    assert.equal(defaultIdentifier({ usb: { ...usb, serialNumber: null, portPath: '1-1.2' } }), '0403:6001@1-1.2');
    assert.equal(defaultIdentifier({ usb: { ...usb, serialNumber: '', portPath: '3-2' } }), '0403:6001@3-2');
    assert.equal(defaultIdentifier({ usb }), '0403:6001');
  });

  test('a tty adds :ifN for its interface', () => {
    assert.equal(
      defaultIdentifier({
        usb: { ...usb, serialNumber: 'A10K' },
        serial: { path: '/dev/ttyUSB0', interfaceNumber: 2 },
      }),
      '0403:6001:A10K:if2',
    );
    assert.equal(
      defaultIdentifier({ usb: { ...usb, portPath: '1-4' }, serial: { path: '/dev/ttyUSB0', interfaceNumber: 0 } }),
      '0403:6001@1-4:if0',
    );
    assert.equal(
      defaultIdentifier({ usb: { ...usb, portPath: '1-4' }, serial: { path: '/dev/ttyUSB0', interfaceNumber: null } }),
      '0403:6001@1-4',
    );
  });

  test('characters unsafe in a file name are replaced', () => {
    assert.equal(defaultIdentifier({ usb: { ...usb, serialNumber: 'SN 12/34:x' } }), '0403:6001:SN_12_34_x');
  });

  test('without USB: the path, its separators replaced', () => {
    assert.equal(defaultIdentifier({ serial: { path: '/dev/ttyS0' } }), 'dev_ttyS0');
    assert.equal(
      defaultIdentifier({
        file: { path: '/dev/v4l/by-id/usb-cam-index0', name: 'usb-cam-index0', dir: '/dev/v4l/by-id', type: 'symlink' },
      }),
      'dev_v4l_by-id_usb-cam-index0',
    );
    assert.equal(defaultIdentifier({ host: { hostname: 'h', arch: 'x64' } }), undefined);
  });
});

describe('identifier candidates', () => {
  test('a list: the items that come out as identifiers, in order, the first in the payload', () => {
    const profile = withMap(
      'identifier:',
      '  - { var: usb.serialNumber }',
      '  - { cat: ["gps@", { var: usb.portPath }] }',
      '  - gps',
      '  - gps',
    );
    assert.deepEqual(mapDevice(profile, gps), {
      payload: { identifier: 'gps@1-1.4' },
      candidates: ['gps@1-1.4', 'gps'],
    });
    assert.equal(mapPayload(profile, gps).identifier, 'gps@1-1.4');
  });

  test('a single identifier is the one candidate; none written gives the default ones', () => {
    assert.deepEqual(mapDevice(withMap('identifier: gps'), gps).candidates, ['gps']);
    assert.deepEqual(mapDevice(withMap('name: GPS'), { ...gps, usb: { ...gps.usb!, serialNumber: 'S1' } }).candidates, [
      '1546:01a7:S1:if0',
      '1546:01a7:S1@1-1.4:if0',
    ]);
  });

  test('default candidates: a serial number, then serial number and port; without one, the port alone', () => {
    const usb = { vendorId: '0403', productId: '6001' };
    assert.deepEqual(defaultIdentifierCandidates({ usb: { ...usb, serialNumber: 'A50285BI', portPath: '1-2' } }), [
      '0403:6001:A50285BI',
      '0403:6001:A50285BI@1-2',
    ]);
    assert.deepEqual(defaultIdentifierCandidates({ usb: { ...usb, serialNumber: 'A50285BI' } }), [
      '0403:6001:A50285BI',
    ]);
    assert.deepEqual(defaultIdentifierCandidates({ usb: { ...usb, portPath: '1-2' } }), ['0403:6001@1-2']);
    assert.deepEqual(defaultIdentifierCandidates({ file: { path: '/dev/video0' } } as Facts), ['dev_video0']);
  });
});
