// `engine new KEY`: a profile for a device engine list shows, that recognises that device and
// not its neighbours, validates without warnings and passes its own test. Tried on a file, and
// under a simulated kernel on a HubZ-like two-port USB stick (next to an identical one) and a
// webcam.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { CLI, runCli } from './paths.js';
import { addNodes, CAMERA, CAMERA_VIDEO_NODES } from './umockdev/node-devices.js';
import { startTestbed, umockdevAvailable, type Testbed } from './umockdev/testbed.js';

interface Listed {
  key: string;
  profile: string | null;
}

/** Runs `engine ARGS`, under the testbed when given. */
function engine(args: string[], testbed?: Testbed) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: testbed ? testbed.env() : process.env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Makes the profile of `key`, saves it, and checks it: valid without a warning, its test passing,
 * and among the devices present, only `key` matched by it. Returns the profile.
 */
function newProfileChecked(key: string, extra: string[], testbed?: Testbed): Record<string, unknown> {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-new-'));
  try {
    const made = engine(['new', key, ...extra], testbed);
    assert.equal(made.status, 0, made.stderr);
    const profile = parse(made.stdout) as Record<string, unknown>;
    // Plain YAML a person would write: the schema comment for the editor, no anchors or aliases.
    assert.match(made.stdout, /^# yaml-language-server: \$schema=\.\.\/schemas\/profile\.schema\.json$/m);
    assert.doesNotMatch(made.stdout, /(^|[\s:[,])[&*][A-Za-z]\w*\b/m, 'no anchor or alias');
    writeFileSync(path.join(folder, 'new.yaml'), made.stdout);
    const validated = runCli(['validate', '--strict', folder]);
    assert.equal(validated.status, 0, validated.stdout + made.stdout);
    assert.match(validated.stdout, /^1 file checked: 0 errors, 0 warnings$/m);
    const tested = runCli(['test', folder]);
    assert.equal(tested.status, 0, tested.stdout + made.stdout);
    assert.match(tested.stdout, /^1 passed, 0 failed/m);
    const listed = engine(['list', '--profiles', folder, '--state', path.join(folder, 'state'), '--json'], testbed);
    assert.equal(listed.status, 0, listed.stderr);
    const matched = (JSON.parse(listed.stdout) as Listed[])
      .filter((device) => device.profile === profile.name)
      .map((device) => device.key);
    assert.deepEqual(matched, [key], made.stdout);
    return profile;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

test('a file device: its exact path, a nuvlabox peripheral, a test from its facts', () => {
  const dev = mkdtempSync(path.join(tmpdir(), 'engine-new-dev-'));
  try {
    for (const name of ['video0', 'video1', 'other']) writeFileSync(path.join(dev, name), '');
    const profile = newProfileChecked(`file:${path.join(dev, 'video0')}`, []);
    assert.deepEqual(profile.detect, { file: { path: path.join(dev, 'video0') } });
    assert.deepEqual(profile.notify, [{ backend: 'nuvlabox' }]);
    assert.equal((profile.map as Record<string, unknown>).available, true);
  } finally {
    rmSync(dev, { recursive: true, force: true });
  }
});

test('for a backend without a document schema, the map names the device node, not the whole facts', () => {
  const dev = mkdtempSync(path.join(tmpdir(), 'engine-new-dev-'));
  try {
    writeFileSync(path.join(dev, 'sensor0'), '');
    const profile = newProfileChecked(`file:${path.join(dev, 'sensor0')}`, ['--backend', 'stdout']);
    assert.deepEqual((profile.map as Record<string, unknown>).path, { var: 'file.path' });
    assert.ok(!Object.values(profile.map as object).some((value) => JSON.stringify(value) === '{"var":"file"}'));
  } finally {
    rmSync(dev, { recursive: true, force: true });
  }
});

test('usage: one key; an unknown device or backend says so', () => {
  assert.equal(runCli(['new']).status, 2);
  const missing = runCli(['new', 'usb:9-9.9.9']);
  assert.deepEqual(
    [missing.status, missing.stderr],
    [1, 'engine: no device usb:9-9.9.9 here; engine list shows the devices present and their keys\n'],
  );
  const backend = runCli(['new', 'file:/dev/null', '--backend', 'nope']);
  assert.equal(backend.status, 2);
  assert.match(backend.stderr, /no backend named nope/);
});

test(
  'a HubZ-like stick with two ports, next to an identical one: the serial number and the interface narrow it',
  { skip: umockdevAvailable() },
  async () => {
    const testbed = await startTestbed();
    try {
      for (const [port, serial, first] of [
        ['1-3', '31300A4F', 0],
        ['1-4', '31300B77', 2],
      ] as const) {
        const usb = await testbed.addUsbDevice({
          port,
          vendorId: '10c4',
          productId: '8a2a',
          manufacturer: 'Silicon Labs',
          product: 'HubZ Smart Home Controller',
          serial,
          interfaces: [
            { class: 0xff, driver: 'cp210x' },
            { class: 0xff, driver: 'cp210x' },
          ],
        });
        await testbed.addTty({ name: `ttyUSB${first}`, usb: usb.path, interface: 0, driver: 'cp210x' });
        await testbed.addTty({ name: `ttyUSB${first + 1}`, usb: usb.path, interface: 1, driver: 'cp210x' });
      }
      const zigbee = newProfileChecked('serial:1-3:if01', [], testbed);
      const detect = zigbee.detect as { usb: Record<string, string>; serial: Record<string, unknown> };
      assert.deepEqual(detect.usb, {
        vendorId: '10c4',
        productId: '8a2a',
        product: 'HubZ Smart Home Controller',
        serialNumber: '31300A4F',
      });
      assert.deepEqual(detect.serial, { path: '/dev/ttyUSB*', interfaceNumber: 1 });
      // The stick alone (its USB device, not a port), for a webhook-like backend.
      newProfileChecked('usb:1-4', ['--backend', 'stdout'], testbed);
    } finally {
      await testbed.close();
    }
  },
);

test(
  'a webcam next to another one: ids and product string, a map for the chosen backend',
  { skip: umockdevAvailable() },
  async () => {
    const testbed = await startTestbed();
    try {
      await testbed.addUsbDevice({
        port: '1-2',
        vendorId: '046d',
        productId: '0825',
        manufacturer: 'Logitech',
        product: 'Webcam C270',
        serial: 'A1B2C3D4',
        interfaces: [
          { class: 0x0e, subclass: 1, driver: 'uvcvideo' },
          { class: 0x0e, subclass: 2, driver: 'uvcvideo' },
          { class: 0x01, subclass: 1, driver: 'snd-usb-audio' },
        ],
      });
      await testbed.addUsbDevice({
        port: '1-5',
        vendorId: '046d',
        productId: '085b',
        manufacturer: 'Logitech',
        product: 'Logitech Webcam C925e',
        interfaces: [{ class: 0x0e, subclass: 1, driver: 'uvcvideo' }],
      });
      const nuvlabox = newProfileChecked('usb:1-2', [], testbed);
      assert.deepEqual(nuvlabox.detect, { usb: { vendorId: '046d', productId: '0825', product: 'Webcam C270' } });
      assert.deepEqual((nuvlabox.map as { classes: string[] }).classes, ['video', 'audio']);
      const stdout = newProfileChecked('usb:1-2', ['--backend', 'stdout'], testbed);
      assert.equal((stdout.map as Record<string, unknown>).available, undefined);
    } finally {
      await testbed.close();
    }
  },
);

test(
  'a device node with a USB parent: matched on the parent ids and serial, whatever its number; named and mapped from the parent',
  { skip: umockdevAvailable() ?? (process.getuid?.() === 0 ? false : 'making a device node needs root') },
  async () => {
    const testbed = await startTestbed();
    const dev = mkdtempSync(path.join(tmpdir(), 'engine-new-nodes-'));
    try {
      // Two identical cameras but for their serial numbers, each with its capture node.
      for (const [port, serial, minor] of [
        ['1-7', 'A1B2C3D4', 0],
        ['1-8', 'E5F6A7B8', 2],
      ] as const) {
        const camera = await testbed.addUsbDevice({ ...CAMERA, port, serial });
        await addNodes(testbed, camera, [
          { ...CAMERA_VIDEO_NODES[0]!, below: `${port}:1.0/video4linux/video${minor}`, dev: `81:${minor}` },
        ]);
        // A real node with those numbers (the engine's lstat sees the real machine; its sysfs is the testbed's).
        const made = spawnSync('mknod', [path.join(dev, `video${minor}`), 'c', '81', String(minor)], {
          encoding: 'utf8',
        });
        assert.equal(made.status, 0, made.stderr);
      }
      const key = `file:${path.join(dev, 'video0')}`;
      const profile = newProfileChecked(key, [], testbed);
      assert.equal(profile.name, 'logitech-hd-pro-webcam-c920-video');
      assert.deepEqual(profile.detect, {
        file: { path: `${path.join(dev, 'video')}*` },
        when: {
          and: [
            { '==': [{ var: 'file.usb.vendorId' }, '046d'] },
            { '==': [{ var: 'file.usb.productId' }, '082d'] },
            { '==': [{ var: 'file.usb.serialNumber' }, 'A1B2C3D4'] },
          ],
        },
      });
      const map = profile.map as Record<string, unknown>;
      assert.deepEqual(
        [map.name, map.classes, map.vendor, map['serial-number'], map['video-device']],
        [
          'HD Pro Webcam C920',
          ['video', 'audio'],
          { var: 'file.usb.vendorName' },
          { var: 'file.usb.serialNumber' },
          { var: 'file.path' },
        ],
      );
    } finally {
      await testbed.close();
      rmSync(dev, { recursive: true, force: true });
    }
  },
);
