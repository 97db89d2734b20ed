// `engine list`: one look at the system, with the winning profile and the near misses.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startTestbed, umockdevAvailable } from './umockdev/testbed.js';
import { CLI, runCli } from './paths.js';

interface Listed {
  key: string;
  profile: string | null;
  candidates: { profile: string; matched: boolean; reason?: string }[];
}

function profilesFolder(files: Record<string, string>): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-list-'));
  mkdirSync(path.join(folder, 'profiles'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(folder, 'profiles', name), text);
  return folder;
}

const profile = (name: string, detect: string, extra = '') =>
  `name: ${name}\ndetect:\n${detect}\n${extra}map: { classes: [x], identifier: { cat: ["${name}:", { var: "file.name" }] } }\nnotify: [{ backend: stdout }]\n`;

test('paths the profiles watch, the profile each matches, and why the others did not', () => {
  const folder = profilesFolder({});
  const dev = path.join(folder, 'dev');
  mkdirSync(dev);
  for (const name of ['video0', 'video1', 'other']) writeFileSync(path.join(dev, name), '');
  writeFileSync(path.join(folder, 'profiles', 'camera.yaml'), profile('camera', `  file: { path: "${dev}/video*" }`));
  writeFileSync(
    path.join(folder, 'profiles', 'camera-zero.yaml'),
    profile('camera-zero', `  file: { path: "${dev}/video*" }\n  when: { "==": [{ var: "file.name" }, "video0"] }`),
  );
  try {
    const result = runCli(['list', '--profiles', path.join(folder, 'profiles'), '--json']);
    assert.equal(result.status, 0, result.stderr);
    // The machine's own USB devices and serial ports are listed too; these are the test's.
    const listed = (JSON.parse(result.stdout) as Listed[]).filter((device) => device.key.startsWith('file:'));
    assert.deepEqual(
      listed.map((device) => [path.basename(device.key), device.profile]),
      [
        ['video0', 'camera-zero'],
        ['video1', 'camera'],
      ],
    );
    // video0: camera-zero is more specific (a `when`), camera lost to it; video1: `when` is false.
    assert.deepEqual(
      listed[0]!.candidates.map((candidate) => [candidate.profile, candidate.matched]),
      [
        ['camera-zero', true],
        ['camera', true],
      ],
    );
    assert.match(listed[0]!.candidates[1]!.reason!, /camera-zero takes precedence/);
    assert.deepEqual(
      listed[1]!.candidates.find((candidate) => candidate.profile === 'camera-zero'),
      {
        profile: 'camera-zero',
        file: path.join(folder, 'profiles', 'camera-zero.yaml'),
        matched: false,
        reason: '`when` is false',
      },
    );
    const text = runCli(['list', '--profiles', path.join(folder, 'profiles')]);
    assert.match(text.stdout, /video1 {2}→ {2}camera\n {4}✗ camera-zero: `when` is false/);
    assert.match(text.stdout, /^\d+ devices, 2 matched$/m);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('devices that would share an identifier: each with the one it goes by, and why', () => {
  const folder = profilesFolder({});
  const dev = path.join(folder, 'dev');
  mkdirSync(dev);
  for (const name of ['video0', 'video1', 'meter0', 'meter1']) writeFileSync(path.join(dev, name), '');
  const candidates = (name: string, identifier: string) =>
    `name: ${name}\ndetect: { file: { path: "${dev}/${name}*" } }\nmap: { classes: [x], identifier: ${identifier} }\nnotify: [{ backend: stdout }]\n`;
  // Every camera's first candidate is the same; its name tells them apart. Nothing tells the meters apart.
  writeFileSync(
    path.join(folder, 'profiles', 'video.yaml'),
    candidates('video', '[{ cat: ["cam:", { var: file.type }] }, { cat: ["cam:", { var: file.name }] }]'),
  );
  writeFileSync(path.join(folder, 'profiles', 'meter.yaml'), candidates('meter', '[meter, { var: file.dir }]'));
  try {
    const result = runCli(['list', '--profiles', path.join(folder, 'profiles'), '--json']);
    assert.equal(result.status, 0, result.stderr);
    const listed = (
      JSON.parse(result.stdout) as (Listed & { identifier?: string; problems: string[]; warnings?: string[] })[]
    ).filter((device) => device.key.startsWith('file:'));
    assert.deepEqual(
      listed.map((device) => [
        path.basename(device.key),
        device.identifier,
        device.problems.length,
        device.warnings?.length,
      ]),
      [
        ['meter0', 'meter', 0, 1],
        ['meter1', 'meter', 1, undefined],
        ['video0', 'cam:video0', 0, 1],
        ['video1', 'cam:video1', 0, 1],
      ],
    );
    assert.match(listed[3]!.warnings![0]!, /devices file:\S+video1 and file:\S+video0 would share identifier cam:/);
    const text = runCli(['list', '--profiles', path.join(folder, 'profiles')]).stdout;
    assert.match(
      text,
      /meter1 {2}→ {2}meter\n(?: {4}.*\n)*? {4}! devices file:\S+meter1 and file:\S+meter0 share identifier meter, and none/,
    );
    assert.match(
      text,
      /video0 {2}→ {2}video\n(?: {4}.*\n)*? {4}~ devices file:\S+video0 and file:\S+video1 would share identifier/,
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test(
  'USB devices under a simulated kernel, with the condition a near miss failed',
  { skip: umockdevAvailable() },
  async () => {
    const folder = profilesFolder({
      'gps.yaml': profile('gps', '  usb: { vendorId: "1546", productId: "01a7", manufacturer: "u-blox*" }'),
      'gps-clone.yaml': profile('gps-clone', '  usb: { vendorId: "1546", productId: "01a7", manufacturer: "Acme*" }'),
      'arduino.yaml': profile('arduino', '  usb: { vendorId: "2341", productId: "0043" }'),
    });
    const testbed = await startTestbed();
    try {
      await testbed.addUsbDevice({
        port: '1-1.4',
        vendorId: '1546',
        productId: '01a7',
        manufacturer: 'u-blox AG',
        product: 'u-blox 7',
      });
      await testbed.addUsbDevice({ port: '1-2', vendorId: '0bda', productId: '2838' });
      const result = spawnSync(process.execPath, [CLI, 'list', '--profiles', path.join(folder, 'profiles'), '--json'], {
        env: testbed.env(),
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(result.status, 0, result.stderr);
      // The testbed adds the hub on port 1-1 that 1-1.4 hangs from; it is listed too, unmatched.
      const listed = (JSON.parse(result.stdout) as Listed[]).filter((device) =>
        ['usb:1-1.4', 'usb:1-2'].includes(device.key),
      );
      assert.deepEqual(
        listed.map((device) => [device.key, device.profile]),
        [
          ['usb:1-1.4', 'gps'],
          ['usb:1-2', null],
        ],
      );
      const clone = listed[0]!.candidates.find((candidate) => candidate.profile === 'gps-clone')!;
      assert.equal(clone.matched, false);
      assert.match(clone.reason!, /usb\.manufacturer is "u-blox AG", not "Acme\*"/);
      // The index keeps profiles for other ids from even being candidates.
      assert.ok(!listed[0]!.candidates.some((candidate) => candidate.profile === 'arduino'));
    } finally {
      await testbed.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
);

test(
  'serial ports: listed with their USB parent; probe results remembered by the daemon are shown, --probe runs the missing ones',
  { skip: umockdevAvailable() },
  async () => {
    const ttyProfile = (name: string, write: string, expect: string) =>
      `name: ${name}\ndetect:\n  usb: { vendorId: "10c4", productId: "ea60" }\n  serial:\n    path: /dev/ttyUSB*\n    probe: { write: "${write}", expect: "${expect}", timeoutMs: 500 }\nmap: { classes: [x] }\nnotify: [{ backend: stdout }]\n`;
    const folder = profilesFolder({
      'modem.yaml': ttyProfile('modem', 'AT\\r', 'OK'),
      'sensor.yaml': ttyProfile('sensor', 'R\\r', '^T='),
    });
    const state = path.join(folder, 'state');
    const testbed = await startTestbed();
    const list = (...extra: string[]) => {
      const result = spawnSync(
        process.execPath,
        [CLI, 'list', '--profiles', path.join(folder, 'profiles'), '--state', state, ...extra],
        { env: testbed.env(), encoding: 'utf8', timeout: 30_000 },
      );
      assert.equal(result.status, 0, result.stderr);
      return result.stdout;
    };
    try {
      const usb = await testbed.addUsbDevice({
        port: '1-3',
        vendorId: '10c4',
        productId: 'ea60',
        serial: 'S1',
        interfaces: [{ class: 0xff, driver: 'cp210x' }],
      });
      await testbed.addTty({
        name: 'ttyUSB0',
        usb: usb.path,
        driver: 'cp210x',
        responder: { replies: [{ match: 'AT\\r', text: '\r\nOK\r\n' }] },
      });
      const tty = () => (JSON.parse(list('--json')) as Listed[]).find((device) => device.key === 'serial:1-3:if00')!;
      // Nothing remembered, nothing probed: no profile, and the port was not touched.
      assert.equal(tty().profile, null);
      assert.equal((await testbed.ttyReceived('ttyUSB0')).length, 0);
      assert.match(list(), /serial \/dev\/ttyUSB0 on usb 1-3 10c4:ea60 interface 0 {2}→ {2}\(no profile\)/);
      // --probe: probes in precedence order (name order here) until one matches.
      const probed = (JSON.parse(list('--json', '--probe')) as Listed[]).find(
        (device) => device.key === 'serial:1-3:if00',
      )!;
      assert.equal(probed.profile, 'modem');
      assert.equal((await testbed.ttyReceived('ttyUSB0')).toString('latin1'), 'AT\r');
      // What a daemon remembered in the state folder is shown without probing.
      mkdirSync(state, { recursive: true });
      const fingerprint = JSON.stringify({
        serial: (tty() as unknown as { facts: { serial: unknown } }).facts.serial,
        usb: (tty() as unknown as { facts: { usb: unknown } }).facts.usb,
      });
      const key = (name: string, write: string, expect: string) =>
        `${name}\u0000${JSON.stringify({ write, expect, timeoutMs: 500 })}`;
      writeFileSync(
        path.join(state, 'probes.json'),
        JSON.stringify({
          'serial:1-3:if00': {
            path: '/dev/ttyUSB0',
            fingerprint,
            results: {
              [key('modem', 'AT\r', 'OK')]: {
                outcome: { kind: 'no-match', reason: 'no reply within 500 ms' },
                at: '2026-11-22T10:00:00Z',
              },
              [key('sensor', 'R\r', '^T=')]: {
                outcome: { kind: 'matched', facts: { response: 'T=21.5', hex: '', groups: [] } },
                at: '2026-11-22T10:00:01Z',
              },
            },
          },
        }),
      );
      const remembered = tty();
      assert.equal(remembered.profile, 'sensor');
      assert.equal(
        remembered.candidates.find((candidate) => candidate.profile === 'modem')!.reason,
        'serial probe: no reply within 500 ms',
      );
      assert.equal((await testbed.ttyReceived('ttyUSB0')).toString('latin1'), 'AT\r', 'not probed again');
    } finally {
      await testbed.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
);
