/*
 * What every source component owes the rest of the engine: a one-shot look (`enumerate`, for
 * `engine list`) that keys and describes devices as the running source reports them, the hooks
 * the daemon calls instead of naming sources, and the rules derived from the registry (which
 * source a device belongs to, the USB class-name fallback).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { builtInBackendNames } from '../../engine/backends/index.js';
import type { DeviceEvent } from '../../engine/core/device-event.js';
import type { Facts } from '../../engine/core/facts.js';
import { createLogger } from '../../engine/core/log.js';
import { detectMismatch, isCatchAll, primarySource } from '../../engine/match/detect-checks.js';
import { runTest } from '../../engine/profile-tests/run-test.js';
import { testSource } from '../../engine/profile-tests/profile-test.js';
import { ProfileIndex } from '../../engine/match/matcher.js';
import { owningSource, SOURCES } from '../../engine/sources/index.js';
import { usbClassName } from '../../engine/sources/usb/usb-class-names.js';
import { waitFor } from './file-source-harness.js';

const log = createLogger('error', () => undefined);
const source = (kind: string) => SOURCES.find((definition) => definition.kind === kind)!;

describe('source registry as components', () => {
  test('every source has a test-facts schema that requires only facts it declares, and glob keys of its detect block', () => {
    for (const definition of SOURCES) {
      for (const fact of definition.requiredFacts) assert.ok(fact in definition.facts, `${definition.kind}.${fact}`);
      for (const fact of Object.keys(definition.factSchemas ?? {}))
        assert.ok(fact in definition.facts, `${definition.kind}.${fact}`);
      for (const key of Object.keys(definition.globKeys))
        assert.ok(key in (definition.detectSchema.properties as object), `${definition.kind}.${key}`);
    }
  });

  test('a device belongs to the source that carries the others: a tty with its USB parent is serial', () => {
    assert.equal(
      owningSource((kind) => kind === 'usb' || kind === 'serial'),
      'serial',
    );
    assert.equal(
      owningSource((kind) => kind === 'usb'),
      'usb',
    );
    assert.equal(
      owningSource((kind) => kind === 'usb' || kind === 'file'),
      'usb',
    );
    assert.equal(
      owningSource((kind) => kind === 'file'),
      'file',
    );
    assert.equal(
      owningSource(() => false),
      'file',
    );
    assert.equal(primarySource({ usb: { vendorId: '1546' }, serial: { path: '/dev/ttyACM*' } }), 'serial');
    assert.equal(testSource({ usb: { vendorId: '1546', productId: '01a7' } }), 'usb');
  });

  test('only an empty block alone is a catch-all', () => {
    assert.equal(isCatchAll({ usb: {} }), true);
    assert.equal(isCatchAll({ usb: {}, when: { '==': [1, 1] } }), true);
    assert.equal(isCatchAll({ usb: {}, serial: { path: '/dev/ttyUSB*' } }), false);
    assert.equal(isCatchAll({ usb: { vendorId: '1546' } }), false);
  });

  test('the USB class name: usb.org names first, then what the facts say, then "Class xx"; one rule for sysfs, tests and matching', () => {
    assert.equal(usbClassName('0e'), 'Video');
    assert.equal(usbClassName('0E'), 'Video');
    assert.equal(usbClassName('0e', 'Camera'), 'Video');
    assert.equal(usbClassName('99', 'Vendor thing'), 'Vendor thing');
    assert.equal(usbClassName('99'), 'Class 99');
    const camera: Facts = {
      usb: {
        vendorId: '046d',
        productId: '0825',
        interfaces: [{ number: 0, class: '0e', subclass: '01', protocol: '00', driver: null, className: 'Camera' }],
      },
    };
    assert.equal(detectMismatch({ usb: { interfaceClass: 'video' } }, camera), undefined);
    assert.match(detectMismatch({ usb: { interfaceClass: 'Camera' } }, camera) ?? '', /no interface of class camera/);
  });

  test("a test's facts are completed by their source: the class name from the class, a file's name and folder from its path", () => {
    const profile = {
      name: 'camera',
      detect: { usb: { interfaceClass: 'Video' } },
      map: { name: { var: 'usb.interfaces.0.className' } },
      notify: [{ backend: 'stdout' }],
    };
    const index = new ProfileIndex([{ profile, file: 'camera.yaml' }]);
    const backends = builtInBackendNames();
    const result = runTest(
      {
        test: {
          name: 'webcam',
          facts: { usb: { vendorId: '046d', productId: '0825', interfaces: [{ number: 0, class: '0e' }] } },
          expect: { profile: 'camera', payload: { name: 'Video' } },
        },
        file: 'camera.yaml',
        line: 1,
        col: 1,
      },
      { index, backends, params: {} },
    );
    assert.deepEqual(result.failures, []);
    assert.deepEqual(source('file').completeFacts!({ path: '/dev/v4l/by-id/usb-cam' }), {
      name: 'usb-cam',
      dir: '/dev/v4l/by-id',
      path: '/dev/v4l/by-id/usb-cam',
    });
  });

  describe('file source', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'source-components-'));
    after(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(path.join(root, 'dev'));
    for (const name of ['video0', 'video1', 'other']) writeFileSync(path.join(root, 'dev', name), '');
    const blocks = [{ path: path.join(root, 'dev', 'video*') }, { path: path.join(root, 'dev', 'video0') }];

    test('enumerate gives the devices the running source reports at start-up, with the same keys and facts', async () => {
      const events: DeviceEvent[] = [];
      const running = source('file').create({}, { emit: (event) => events.push(event), log, blocks });
      await running.start(new AbortController().signal);
      try {
        const started = events
          .map(({ key, source: kind, facts }) => ({ key, source: kind, facts }))
          .sort((a, b) => a.key.localeCompare(b.key));
        const looked = (await source('file').enumerate(blocks)).sort((a, b) => a.key.localeCompare(b.key));
        assert.deepEqual([...new Map(looked.map((device) => [device.key, device])).values()], started);
        assert.deepEqual(
          started.map((device) => device.key),
          [`file:${root}/dev/video0`, `file:${root}/dev/video1`],
        );
        assert.equal(source('file').describe(started[0]!.facts, started[0]!.key), `file ${root}/dev/video0`);
      } finally {
        await running.stop();
      }
    });

    test('profilesChanged: the paths the profiles name now are watched, the others reported gone', async () => {
      const events: DeviceEvent[] = [];
      const running = source('file').create(
        {},
        { emit: (event) => events.push(event), log, blocks: [{ path: path.join(root, 'dev', 'video0') }] },
      );
      await running.start(new AbortController().signal);
      try {
        await running.profilesChanged!([{ path: path.join(root, 'dev', 'other') }]);
        await waitFor('video0 gone and other added', () => events.length === 3);
        assert.deepEqual(
          events.map((event) => `${event.action} ${path.basename(event.key)}`),
          ['add video0', 'remove video0', 'add other'],
        );
      } finally {
        await running.stop();
      }
    });
  });

  test(
    'the serial source looks again when USB reports, and only then',
    { skip: existsSync('/sys/class/tty') ? false : 'no /sys/class/tty here' },
    async () => {
      const running = source('serial').create(
        { mode: 'polling', pollIntervalMs: 60_000 },
        { emit: () => undefined, log, blocks: [] },
      );
      await running.start(new AbortController().signal);
      try {
        // The ttys found at start-up settle first (a few looks within seconds).
        await waitFor(
          'the start-up settle to end',
          () => !running.status().settling,
          () => running.status(),
          10_000,
        );
        running.otherSourceReported!({
          action: 'add',
          key: 'file:/dev/video0',
          source: 'file',
          facts: { file: { path: '/dev/video0', name: 'video0', dir: '/dev', type: 'character' } },
        });
        assert.equal(running.status().settling, false);
        running.otherSourceReported!({
          action: 'add',
          key: 'usb:1-1',
          source: 'usb',
          facts: { usb: { vendorId: '1546', productId: '01a7' } },
        });
        assert.equal(running.status().settling, true);
      } finally {
        await running.stop();
      }
    },
  );

  test('the USB source looks again when a tty comes or goes (it is one of its device nodes), and only then', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'usb-devices-'));
    const running = source('usb').create({ mode: 'polling', pollIntervalMs: 60_000, devicesFolder: folder } as never, {
      emit: () => undefined,
      log,
      blocks: [],
    });
    await running.start(new AbortController().signal);
    try {
      const file: DeviceEvent = { action: 'add', key: 'file:/dev/video0', source: 'file', facts: {} };
      running.otherSourceReported!(file);
      assert.equal(running.status().settling, false);
      running.otherSourceReported!({ ...file, key: 'serial:1-1:if00', source: 'serial' });
      assert.equal(running.status().settling, true);
    } finally {
      await running.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
