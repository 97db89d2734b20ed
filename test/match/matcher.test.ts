import assert from 'node:assert/strict';
import { fileGlobs } from '../../engine/sources/file/file-detect.js';
import { describe, test } from 'node:test';
import type { Facts, UsbInterfaceFacts } from '../../engine/core/facts.js';
import { matchDevice, probeCandidates, ProfileIndex, type Candidate } from '../../engine/match/matcher.js';
import type { LoadedProfile } from '../../engine/profiles/profile.js';
import { profileFromYaml, yaml } from './profile-text.js';

/** A valid profile named `name` with the given `detect` lines (indented two spaces) and more lines. */
function profile(name: string, detect: string[], extra: string[] = []): LoadedProfile {
  return profileFromYaml(
    yaml(
      `name: ${name}`,
      ...extra,
      'detect:',
      ...detect.map((line) => `  ${line}`),
      'map:',
      '  classes: [test]',
      'notify:',
      '  - backend: stdout',
    ),
    `${name}.yaml`,
  );
}

const ubloxUsb: NonNullable<Facts['usb']> = {
  vendorId: '1546',
  productId: '01a7',
  manufacturer: 'u-blox AG - www.u-blox.com',
  product: 'u-blox 7 - GPS/GNSS Receiver',
  serialNumber: null,
  portPath: '1-1.4',
  interfaces: [
    { number: 0, class: '02', subclass: '02', protocol: '01', driver: 'cdc_acm', className: 'Communications' },
    { number: 1, class: '0a', subclass: '00', protocol: '00', driver: 'cdc_acm', className: 'CDC Data' },
  ],
};

/** The facts of the u-blox GPS's tty, as the serial source reports them. */
const gpsTty: Facts = { usb: ubloxUsb, serial: { path: '/dev/ttyACM0', driver: 'cdc_acm', interfaceNumber: 0 } };

const names = (candidates: Candidate[]) => candidates.map((candidate) => candidate.profile);
const profileNames = (profiles: LoadedProfile[]) => profiles.map((entry) => entry.profile.name);
const candidate = (candidates: Candidate[], name: string) => {
  const found = candidates.find((item) => item.profile === name);
  assert.ok(found, `${name} should be a candidate; candidates: ${names(candidates).join(', ')}`);
  return found;
};

describe('precedence', () => {
  const generic = profile('gps-generic', [
    'usb:',
    '  vendorId: "1546"',
    '  productId: ["01a7", "01a8"]',
    'serial:',
    '  path: /dev/ttyACM*',
  ]);
  const ublox = profile('gps-ublox', [
    'usb:',
    '  vendorId: "1546"',
    '  productId: "01a7"',
    '  manufacturer: "u-blox*"',
    'serial:',
    '  path: /dev/ttyACM*',
  ]);

  test('the profile with more detect keys wins, whatever the order given', () => {
    for (const order of [
      [generic, ublox],
      [ublox, generic],
    ]) {
      const result = matchDevice(new ProfileIndex(order), 'serial', gpsTty);
      assert.equal(result.winner?.profile.name, 'gps-ublox');
      assert.deepEqual(result.candidates[0], { profile: 'gps-ublox', file: 'gps-ublox.yaml', matched: true });
      const loser = candidate(result.candidates, 'gps-generic');
      assert.equal(loser.matched, true);
      assert.match(loser.reason ?? '', /^gps-ublox takes precedence/);
      assert.equal(result.candidates.length, 2);
    }
  });

  test('a `when` counts as one more detect key', () => {
    const withWhen = profile('gps-with-when', [
      'usb:',
      '  vendorId: "1546"',
      '  productId: "01a7"',
      'serial:',
      '  path: /dev/ttyACM*',
      'when: { "==": [{ var: "usb.serialNumber" }, null] }',
    ]);
    const result = matchDevice(new ProfileIndex([generic, withWhen]), 'serial', gpsTty);
    assert.equal(result.winner?.profile.name, 'gps-with-when');
  });

  test('with equal specificity, higher priority wins', () => {
    const low = profile('a-low', ['usb:', '  vendorId: "1546"', '  productId: "01a7"'], ['priority: -1']);
    const plain = profile('b-plain', ['usb:', '  vendorId: "1546"', '  productId: "01a7"']);
    const high = profile('z-high', ['usb:', '  vendorId: "1546"', '  productId: "01a7"'], ['priority: 5']);
    const result = matchDevice(new ProfileIndex([low, plain, high]), 'usb', { usb: ubloxUsb });
    assert.equal(result.winner?.profile.name, 'z-high');
    assert.deepEqual(
      result.candidates.map(({ profile: name, matched, reason }) => [
        name,
        matched,
        reason?.startsWith('z-high takes precedence') ?? null,
      ]),
      [
        ['z-high', true, null],
        ['b-plain', true, true],
        ['a-low', true, true],
      ],
    );
  });

  test('more keys beat higher priority', () => {
    const loud = profile('loud', ['usb:', '  vendorId: "1546"', '  productId: "01a7"'], ['priority: 100']);
    const precise = profile('precise', ['usb:', '  vendorId: "1546"', '  productId: "01a7"', '  product: "*GPS*"']);
    assert.equal(
      matchDevice(new ProfileIndex([loud, precise]), 'usb', { usb: ubloxUsb }).winner?.profile.name,
      'precise',
    );
  });

  test('with equal specificity and priority, name order decides', () => {
    const beta = profile('beta', ['usb:', '  vendorId: "1546"', '  productId: "01a7"']);
    const alpha = profile('alpha', ['usb:', '  vendorId: "1546"', '  productId: "01a7"']);
    const result = matchDevice(new ProfileIndex([beta, alpha]), 'usb', { usb: ubloxUsb });
    assert.equal(result.winner?.profile.name, 'alpha');
    assert.match(candidate(result.candidates, 'beta').reason ?? '', /^alpha takes precedence/);
  });

  test('no candidate matching: no winner, every candidate says why', () => {
    const result = matchDevice(new ProfileIndex([ublox]), 'serial', {
      ...gpsTty,
      usb: { ...ubloxUsb, manufacturer: 'Prolific' },
    });
    assert.equal(result.winner, undefined);
    assert.deepEqual(result.candidates, [
      {
        profile: 'gps-ublox',
        file: 'gps-ublox.yaml',
        matched: false,
        reason: 'usb.manufacturer is "Prolific", not "u-blox*"',
      },
    ]);
  });

  test('a profile listing the same id twice is one candidate, not its own loser', () => {
    const twice = profile('twice', ['usb:', '  vendorId: "1546"', '  productId: ["01a7", "01a7"]']);
    const result = matchDevice(new ProfileIndex([twice]), 'usb', { usb: ubloxUsb });
    assert.equal(result.winner?.profile.name, 'twice');
    assert.deepEqual(result.candidates, [{ profile: 'twice', file: 'twice.yaml', matched: true }]);
  });
});

describe('reasons for candidates that do not match', () => {
  test('wrong productId (a profile that names only the product id)', () => {
    const other = profile('product-only', ['usb:', '  productId: "01a8"']);
    const result = matchDevice(new ProfileIndex([other]), 'usb', { usb: ubloxUsb });
    assert.equal(result.winner, undefined);
    assert.deepEqual(result.candidates, [
      { profile: 'product-only', file: 'product-only.yaml', matched: false, reason: 'usb.productId is 01a7, not 01a8' },
    ]);
  });

  test('a string glob that does not hold, and one on a missing string', () => {
    const byProduct = profile('by-product', ['usb:', '  vendorId: "1546"', '  product: "*LTE*"']);
    const bySerial = profile('by-serial', ['usb:', '  vendorId: "1546"', '  serialNumber: "A10*"']);
    const result = matchDevice(new ProfileIndex([byProduct, bySerial]), 'usb', { usb: ubloxUsb });
    assert.equal(result.winner, undefined);
    assert.equal(
      candidate(result.candidates, 'by-product').reason,
      'usb.product is "u-blox 7 - GPS/GNSS Receiver", not "*LTE*"',
    );
    assert.equal(candidate(result.candidates, 'by-serial').reason, 'usb.serialNumber is null, not "A10*"');
  });

  test('string globs are case-insensitive and `*` crosses slashes', () => {
    const loose = profile('loose', ['usb:', '  vendorId: "1546"', '  product: "U-BLOX 7*gps/gnss*"']);
    assert.equal(matchDevice(new ProfileIndex([loose]), 'usb', { usb: ubloxUsb }).winner?.profile.name, 'loose');
  });

  test('`when` false', () => {
    const needsSerial = profile('needs-serial', [
      'usb:',
      '  vendorId: "1546"',
      '  productId: "01a7"',
      'when: { "!=": [{ var: "usb.serialNumber" }, null] }',
    ]);
    const index = new ProfileIndex([needsSerial]);
    assert.deepEqual(matchDevice(index, 'usb', { usb: ubloxUsb }).candidates, [
      { profile: 'needs-serial', file: 'needs-serial.yaml', matched: false, reason: '`when` is false' },
    ]);
    assert.equal(
      matchDevice(index, 'usb', { usb: { ...ubloxUsb, serialNumber: 'X1' } }).winner?.profile.name,
      'needs-serial',
    );
  });

  test('a `when` that throws on these facts rejects the device with the error, and others still match', () => {
    // Valid as written; json-logic-js throws when the `if` gives `missing_some` null instead of a list.
    const throwing = profile('throwing', [
      'usb:',
      '  vendorId: "1546"',
      '  productId: "01a7"',
      'when: { missing_some: [1, { if: [{ var: "params.nothing" }, ["usb.product"], null] }] }',
    ]);
    const plain = profile('plain', ['usb:', '  vendorId: "1546"', '  productId: "01a7"']);
    const result = matchDevice(new ProfileIndex([throwing, plain]), 'usb', { usb: ubloxUsb, params: {} });
    assert.equal(result.winner?.profile.name, 'plain');
    assert.match(candidate(result.candidates, 'throwing').reason!, /^`when` could not be evaluated: /);
    assert.equal(result.problems?.length, 1);
    assert.match(result.problems![0]!, /^profile throwing: `when` could not be evaluated/);
    assert.deepEqual(probeCandidates(new ProfileIndex([throwing]), 'usb', { usb: ubloxUsb, params: {} }), []);
  });

  test('`when` sees params', () => {
    const gated = profile('gated', [
      'usb:',
      '  vendorId: "1546"',
      '  productId: "01a7"',
      'when: { "==": [{ var: "params.site" }, "lab"] }',
    ]);
    const index = new ProfileIndex([gated]);
    assert.equal(matchDevice(index, 'usb', { usb: ubloxUsb, params: { site: 'lab' } }).winner?.profile.name, 'gated');
    assert.equal(matchDevice(index, 'usb', { usb: ubloxUsb, params: { site: 'field' } }).winner, undefined);
  });

  test('serial path and interface number', () => {
    const usbPort = profile('usb-port', ['serial:', '  path: /dev/ttyUSB*']);
    const secondPort = profile('second-port', [
      'usb:',
      '  vendorId: "1546"',
      '  productId: "01a7"',
      'serial:',
      '  interfaceNumber: 2',
    ]);
    const result = matchDevice(new ProfileIndex([usbPort, secondPort]), 'serial', gpsTty);
    assert.equal(result.winner, undefined);
    assert.equal(candidate(result.candidates, 'usb-port').reason, 'serial.path is /dev/ttyACM0, not /dev/ttyUSB*');
    assert.equal(candidate(result.candidates, 'second-port').reason, 'serial.interfaceNumber is 0, not 2');
  });
});

describe('index', () => {
  const ftdi = profile('ftdi-sensor', ['usb:', '  vendorId: "0403"', '  productId: "6001"', '  product: "*Sensor*"']);
  const arduino = profile('arduino', [
    'usb:',
    '  vendorId: ["2341", "2A03"]',
    '  productId: ["0043", "0243"]',
    'serial:',
    '  path: /dev/ttyACM*',
  ]);

  test('a profile for another vendor:product is not even a candidate', () => {
    const ublox = profile('ublox', ['usb:', '  vendorId: "1546"', '  productId: "01a7"']);
    const index = new ProfileIndex([ftdi, ublox]);
    assert.deepEqual(profileNames(index.candidatesFor('usb', { usb: ubloxUsb })), ['ublox']);
    const result = matchDevice(index, 'usb', { usb: ubloxUsb });
    assert.deepEqual(names(result.candidates), ['ublox']);
  });

  test('list-valued ids: every vendor:product pair finds the profile, others none', () => {
    const index = new ProfileIndex([arduino]);
    for (const [vendorId, productId] of [
      ['2341', '0043'],
      ['2341', '0243'],
      ['2a03', '0043'],
      ['2a03', '0243'],
    ] as const) {
      const facts: Facts = { usb: { vendorId, productId }, serial: { path: '/dev/ttyACM1' } };
      assert.equal(matchDevice(index, 'serial', facts).winner?.profile.name, 'arduino', `${vendorId}:${productId}`);
    }
    assert.deepEqual(
      index.candidatesFor('serial', { usb: { vendorId: '2341', productId: '0001' }, serial: { path: '/dev/ttyACM1' } }),
      [],
    );
  });

  test('profiles without both ids are scanned for every device of their source', () => {
    const byProduct = profile('any-gps', ['usb:', '  product: "*GPS*"']);
    const index = new ProfileIndex([ftdi, byProduct]);
    assert.deepEqual(profileNames(index.candidatesFor('usb', { usb: { vendorId: '0403', productId: '6001' } })), [
      'ftdi-sensor',
      'any-gps',
    ]);
    assert.deepEqual(profileNames(index.candidatesFor('usb', { usb: ubloxUsb })), ['any-gps']);
    assert.deepEqual(profileNames(index.candidatesFor('serial', gpsTty)), []);
  });

  test('file profiles: a literal path is looked up, a glob scanned; the file source lists each glob once', () => {
    const video0 = profile('video-zero', ['file:', '  path: /dev/video0']);
    const anyVideo = profile('any-video', ['file:', '  path: /dev/video*']);
    const anyVideoAgain = profile('any-video-again', ['file:', '  path: /dev/video*']);
    const index = new ProfileIndex([video0, anyVideo, anyVideoAgain]);
    const facts = (path: string): Facts => ({
      file: { path, name: path.split('/').pop()!, dir: '/dev', type: 'character', major: 81, minor: 0 },
    });
    assert.deepEqual(profileNames(index.candidatesFor('file', facts('/dev/video0'))), [
      'video-zero',
      'any-video',
      'any-video-again',
    ]);
    assert.deepEqual(profileNames(index.candidatesFor('file', facts('/dev/video1'))), ['any-video', 'any-video-again']);
    assert.equal(matchDevice(index, 'file', facts('/dev/video0')).winner?.profile.name, 'any-video');
    const other = matchDevice(index, 'file', facts('/dev/media0'));
    assert.equal(other.winner, undefined);
    assert.equal(candidate(other.candidates, 'any-video').reason, 'file.path is /dev/media0, not /dev/video*');
    const blocks = index.profiles.flatMap((entry) => (entry.profile.detect.file ? [entry.profile.detect.file] : []));
    assert.deepEqual(fileGlobs(blocks).sort(), ['/dev/video*', '/dev/video0']);
  });
});

describe('interfaceClass', () => {
  const interfaces = (...classes: [string, string][]): UsbInterfaceFacts[] =>
    classes.map(([hex, className], number) => ({
      number,
      class: hex,
      subclass: '01',
      protocol: '00',
      driver: 'uvcvideo',
      className,
    }));
  const webcam: Facts = {
    usb: {
      vendorId: '046d',
      productId: '0825',
      interfaces: interfaces(['0e', 'Video'], ['0E', 'Video'], ['01', 'Audio']),
    },
  };
  const storage: Facts = {
    usb: { vendorId: '046d', productId: '0825', interfaces: interfaces(['08', 'Mass Storage']) },
  };

  for (const [label, value] of [
    ['a name', 'Video'],
    ['hex', '"0e"'],
    ['upper-case hex', '"0E"'],
    ['a list with a name and hex', '[HID, "0e"]'],
  ] as const) {
    test(`by ${label}`, () => {
      const byClass = profile('by-class', ['usb:', '  vendorId: "046d"', `  interfaceClass: ${value}`]);
      const index = new ProfileIndex([byClass]);
      assert.equal(matchDevice(index, 'usb', webcam).winner?.profile.name, 'by-class');
      const miss = matchDevice(index, 'usb', storage);
      assert.equal(miss.winner, undefined);
      assert.match(miss.candidates[0]?.reason ?? '', /^no interface of class /);
    });
  }

  test('a name with a space, and a device with no interfaces listed', () => {
    const massStorage = profile('mass-storage', ['usb:', '  vendorId: "046d"', '  interfaceClass: Mass Storage']);
    const index = new ProfileIndex([massStorage]);
    assert.equal(matchDevice(index, 'usb', storage).winner?.profile.name, 'mass-storage');
    const bare = matchDevice(index, 'usb', { usb: { vendorId: '046d', productId: '0825' } });
    assert.deepEqual(bare.candidates, [
      {
        profile: 'mass-storage',
        file: 'mass-storage.yaml',
        matched: false,
        reason: 'no interface of class mass storage',
      },
    ]);
  });
});

describe('serial and USB profiles stay with their own events', () => {
  const usbOnly = profile('ublox-usb', ['usb:', '  vendorId: "1546"', '  productId: "01a7"']);
  const serialProfile = profile('ublox-tty', [
    'usb:',
    '  vendorId: "1546"',
    '  productId: "01a7"',
    'serial:',
    '  path: /dev/ttyACM*',
  ]);
  const pathOnly = profile('any-acm', ['serial:', '  path: /dev/ttyACM*']);
  const index = new ProfileIndex([usbOnly, serialProfile, pathOnly]);

  test('a tty event is matched only against serial profiles', () => {
    const result = matchDevice(index, 'serial', gpsTty);
    assert.equal(result.winner?.profile.name, 'ublox-tty');
    assert.deepEqual(names(result.candidates).sort(), ['any-acm', 'ublox-tty']);
  });

  test('a USB event is matched only against USB profiles', () => {
    const result = matchDevice(index, 'usb', { usb: ubloxUsb });
    assert.equal(result.winner?.profile.name, 'ublox-usb');
    assert.deepEqual(names(result.candidates), ['ublox-usb']);
  });

  test('a tty with no USB parent matches path-only serial profiles', () => {
    const result = matchDevice(index, 'serial', { serial: { path: '/dev/ttyACM3' } });
    assert.equal(result.winner?.profile.name, 'any-acm');
    assert.deepEqual(names(result.candidates), ['any-acm']);
  });

  test('a serial profile with a USB block does not match a tty without USB facts', () => {
    const tty = profile('tty-with-usb', ['usb:', '  product: "*GPS*"', 'serial:', '  path: /dev/ttyS*']);
    const result = matchDevice(new ProfileIndex([tty]), 'serial', { serial: { path: '/dev/ttyS0' } });
    assert.deepEqual(result.candidates, [
      { profile: 'tty-with-usb', file: 'tty-with-usb.yaml', matched: false, reason: 'not a USB device' },
    ]);
  });
});

describe('probes', () => {
  const probed = profile('gps-probed', [
    'usb:',
    '  vendorId: "1546"',
    '  productId: "01a7"',
    'serial:',
    '  path: /dev/ttyACM*',
    '  probe:',
    '    baudRate: 9600',
    '    expect: "^\\\\$GP"',
  ]);
  const plain = profile('gps-plain', [
    'usb:',
    '  vendorId: "1546"',
    '  productId: "01a7"',
    'serial:',
    '  path: /dev/ttyACM*',
  ]);
  const index = new ProfileIndex([probed, plain]);

  const reply = { facts: { response: '$GPGGA,1', hex: '24 47 50', groups: [] } };

  test('a probe profile does not match until the probe has confirmed the device', () => {
    const asked: string[] = [];
    const notYet = matchDevice(index, 'serial', gpsTty, (entry) => {
      asked.push(entry.profile.name);
      return undefined;
    });
    assert.deepEqual(asked, ['gps-probed']);
    // gps-plain matches, but gps-probed would take precedence: nothing wins until it has probed.
    assert.equal(notYet.winner, undefined);
    assert.equal(notYet.probing, true);
    assert.equal(candidate(notYet.candidates, 'gps-probed').reason, 'the serial probe has not confirmed the device');
    assert.equal(
      candidate(notYet.candidates, 'gps-plain').reason,
      'waiting for the serial probe of gps-probed, which takes precedence',
    );
    assert.equal(candidate(matchDevice(index, 'serial', gpsTty).candidates, 'gps-probed').matched, false);
  });

  test('a probe that will be tried again (busy port) does not hold back a matching profile', () => {
    const busy = matchDevice(index, 'serial', gpsTty, () => ({
      reason: 'locked by process 7; trying again later',
      pending: true,
    }));
    assert.equal(busy.winner?.profile.name, 'gps-plain');
    assert.equal(busy.probing, true);
  });

  test('a failed probe says why', () => {
    const failed = matchDevice(index, 'serial', gpsTty, () => ({ reason: 'no reply matched within 2000 ms' }));
    assert.equal(failed.winner?.profile.name, 'gps-plain');
    assert.equal(candidate(failed.candidates, 'gps-probed').reason, 'serial probe: no reply matched within 2000 ms');
  });

  test('a confirmed probe matches, wins by being more specific, and hands its facts on', () => {
    const confirmed = matchDevice(index, 'serial', gpsTty, (entry) =>
      entry.profile.name === 'gps-probed' ? reply : undefined,
    );
    assert.equal(confirmed.winner?.profile.name, 'gps-probed');
    assert.deepEqual(confirmed.probe, reply.facts);
    assert.match(candidate(confirmed.candidates, 'gps-plain').reason ?? '', /^gps-probed takes precedence/);
  });

  test('`when` sees the probe facts of its own profile', () => {
    const byFirmware = profile('gps-firmware', [
      'serial:',
      '  path: /dev/ttyACM*',
      '  probe:',
      '    expect: "^\\\\$GP(...)"',
      'when: { "==": [{ var: "probe.groups.0" }, "GGA"] }',
    ]);
    const firmwareIndex = new ProfileIndex([byFirmware]);
    const groups = (first: string) => ({ facts: { ...reply.facts, groups: [first] } });
    assert.equal(
      matchDevice(firmwareIndex, 'serial', gpsTty, () => groups('GGA')).winner?.profile.name,
      'gps-firmware',
    );
    assert.equal(
      candidate(matchDevice(firmwareIndex, 'serial', gpsTty, () => groups('RMC')).candidates, 'gps-firmware').reason,
      '`when` is false',
    );
  });

  test('probeCandidates lists the probe profiles whose other detect keys hold, in precedence order', () => {
    const wider = profile('gps-probed-any', ['serial:', '  path: /dev/ttyACM*', '  probe:', '    expect: "^\\\\$"']);
    const probing = new ProfileIndex([wider, probed]);
    assert.deepEqual(
      probeCandidates(probing, 'serial', gpsTty).map((entry) => entry.profile.name),
      ['gps-probed', 'gps-probed-any'],
    );
    assert.deepEqual(probeCandidates(probing, 'serial', { ...gpsTty, serial: { path: '/dev/ttyUSB0' } }), []);
  });

  test('a probe that could not win is not run: profiles ranked below one that matches without a probe', () => {
    // gps-plain (usb ids and path: 3 keys) matches as it is; gps-probed-any (path and probe: 2)
    // ranks below it and is left out; gps-probed (4 keys) could still take the device.
    const wider = profile('gps-probed-any', ['serial:', '  path: /dev/ttyACM*', '  probe:', '    expect: "^\\\\$"']);
    const withPlain = new ProfileIndex([wider, plain, probed]);
    assert.deepEqual(
      probeCandidates(withPlain, 'serial', gpsTty).map((entry) => entry.profile.name),
      ['gps-probed'],
    );
    // A plain profile whose `when` is false settles nothing.
    const gated = profile('gps-gated', [
      'usb:',
      '  vendorId: "1546"',
      '  productId: "01a7"',
      '  manufacturer: "u-blox*"',
      'serial:',
      '  path: /dev/ttyACM*',
      'when: { "==": [{ var: "params.site" }, "lab"] }',
    ]);
    assert.deepEqual(
      probeCandidates(new ProfileIndex([wider, gated]), 'serial', gpsTty).map((entry) => entry.profile.name),
      ['gps-probed-any'],
    );
  });

  test('the probe is not consulted when the detect keys already fail', () => {
    const asked: string[] = [];
    matchDevice(index, 'serial', { ...gpsTty, serial: { path: '/dev/ttyUSB0' } }, (entry) => {
      asked.push(entry.profile.name);
      return reply;
    });
    assert.deepEqual(asked, []);
  });
});
