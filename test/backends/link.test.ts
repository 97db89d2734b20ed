// The link backend on real symlinks in a temporary folder.
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Backend, Change } from '../../engine/backends/backend.js';
import { linkBackend } from '../../engine/backends/link/link.js';
import { createLogger } from '../../engine/core/log.js';
import type { Facts } from '../../engine/core/facts.js';
import { configIssues, notifyIssues } from './notify-options.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'link-backend-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
/** A fresh folder with `state/` and `run/devices/` (not created: the backend makes it). */
function space() {
  const root = path.join(scratch, String(counter++));
  mkdirSync(root);
  return { state: path.join(root, 'state'), devices: path.join(root, 'run', 'devices') };
}

async function started(stateDir: string, config: Record<string, unknown> = {}): Promise<Backend> {
  const backend = linkBackend.create!(config, { name: 'link', log: createLogger('error'), stateDir });
  await backend.start!();
  return backend;
}

const serialFacts = (ttyPath: string): Facts => ({
  serial: { path: ttyPath, byId: `/dev/serial/by-id/usb-stick-${path.basename(ttyPath)}` },
});
const change = (
  op: Change['op'],
  identifier: string,
  notify: Record<string, unknown>,
  facts: Facts = serialFacts('/dev/ttyACM0'),
): Change => ({
  op,
  identifier,
  payload: { identifier },
  notify: { backend: 'link', ...notify },
  facts,
});
const signal = new AbortController().signal;

test('link options: an absolute path, an optional target expression', () => {
  assert.deepEqual(notifyIssues('{ backend: link, path: /run/devices/zwave }'), []);
  assert.deepEqual(notifyIssues('{ backend: link, path: /run/devices/zwave, target: { var: serial.byId } }'), []);
  assert.deepEqual(notifyIssues('{ backend: link }'), [{ code: 'missing-key', line: 5, col: 5 }]);
  assert.deepEqual(notifyIssues('{ backend: link, path: devices/zwave }'), [
    { code: 'invalid-value', line: 5, col: 28 },
  ]);
  assert.deepEqual(configIssues('    type: link\n    root: /run/devices\n'), []);
  assert.deepEqual(configIssues('    type: link\n    root: run\n'), [{ code: 'invalid-value', line: 4, col: 11 }]);
});

describe('link backend', () => {
  test('made while the device is present, pointed elsewhere on change, removed when it goes', async () => {
    const { state, devices } = space();
    const backend = await started(state);
    const zwave = path.join(devices, 'zwave');
    assert.deepEqual(await backend.apply(change('create', 'zwave:1', { path: zwave }), signal), {
      outcome: 'acknowledged',
      remote: { path: zwave, target: '/dev/ttyACM0' },
    });
    assert.equal(readlinkSync(zwave), '/dev/ttyACM0');
    await backend.apply(change('update', 'zwave:1', { path: zwave }, serialFacts('/dev/ttyACM1')), signal);
    assert.equal(readlinkSync(zwave), '/dev/ttyACM1');
    assert.deepEqual(await backend.apply(change('delete', 'zwave:1', { path: zwave }), signal), {
      outcome: 'acknowledged',
    });
    assert.equal(existsSync(zwave) || lstatSafe(zwave), false);
    assert.deepEqual(JSON.parse(readFileSync(path.join(state, 'link-link.json'), 'utf8')).links, {});
  });

  test('the target expression reads the facts; the default falls back to file.path', async () => {
    const { state, devices } = space();
    const backend = await started(state);
    await backend.apply(
      change('create', 'a', { path: path.join(devices, 'by-id'), target: { var: 'serial.byId' } }),
      signal,
    );
    assert.equal(readlinkSync(path.join(devices, 'by-id')), '/dev/serial/by-id/usb-stick-ttyACM0');
    await backend.apply(
      change(
        'create',
        'b',
        { path: path.join(devices, 'camera') },
        { file: { path: '/dev/video0', name: 'video0', dir: '/dev', type: 'char' } },
      ),
      signal,
    );
    assert.equal(readlinkSync(path.join(devices, 'camera')), '/dev/video0');
    const none = await backend.apply(
      change('create', 'c', { path: path.join(devices, 'nothing'), target: { var: 'usb.devicePath' } }),
      signal,
    );
    assert.deepEqual(none, { outcome: 'permanent', reason: 'the link target is null: the device has no such fact' });
  });

  test('two devices, one path: the second waits, naming the holder, and gets the link once the holder goes', async () => {
    const { state, devices } = space();
    const backend = await started(state);
    const zwave = path.join(devices, 'zwave');
    await backend.apply(change('create', 'zwave:1', { path: zwave }), signal);
    const second = await backend.apply(
      change('create', 'zwave:2', { path: zwave }, serialFacts('/dev/ttyACM1')),
      signal,
    );
    assert.deepEqual(second, {
      outcome: 'retry',
      reason: `${zwave} is already the link of zwave:1; waiting for it to be free`,
    });
    assert.equal(readlinkSync(zwave), '/dev/ttyACM0');
    assert.equal((await backend.apply(change('delete', 'zwave:1', { path: zwave }), signal)).outcome, 'acknowledged');
    assert.equal(
      (await backend.apply(change('create', 'zwave:2', { path: zwave }, serialFacts('/dev/ttyACM1')), signal)).outcome,
      'acknowledged',
    );
    assert.equal(readlinkSync(zwave), '/dev/ttyACM1');
  });

  test('a file or a symlink this engine did not make is never overwritten, nor removed', async () => {
    const { state, devices } = space();
    mkdirSync(devices, { recursive: true });
    writeFileSync(path.join(devices, 'regular'), 'keep me');
    symlinkSync('/dev/null', path.join(devices, 'theirs'));
    const backend = await started(state);
    for (const name of ['regular', 'theirs']) {
      const result = await backend.apply(change('create', name, { path: path.join(devices, name) }), signal);
      assert.deepEqual(result, {
        outcome: 'permanent',
        reason: `${path.join(devices, name)} exists and was not made by this engine: left alone`,
      });
      assert.deepEqual(await backend.apply(change('delete', name, { path: path.join(devices, name) }), signal), {
        outcome: 'acknowledged',
      });
    }
    assert.equal(readFileSync(path.join(devices, 'regular'), 'utf8'), 'keep me');
    assert.equal(readlinkSync(path.join(devices, 'theirs')), '/dev/null');
  });

  test('with a root, paths outside it are refused', async () => {
    const { state, devices } = space();
    const backend = await started(state, { root: devices });
    assert.equal(
      (await backend.apply(change('create', 'a', { path: path.join(devices, 'ok') }), signal)).outcome,
      'acknowledged',
    );
    const outside = await backend.apply(
      change('create', 'b', { path: path.join(path.dirname(devices), 'escape') }),
      signal,
    );
    assert.equal(outside.outcome, 'permanent');
    const dotted = await backend.apply(change('create', 'c', { path: `${devices}/../escape` }), signal);
    assert.deepEqual(dotted, {
      outcome: 'permanent',
      reason: `link path ${devices}/../escape must be absolute and normalised`,
    });
  });

  test('with a root, a link through a symlinked subfolder that leads out of it is refused, and nothing is made outside', async () => {
    const { state, devices } = space();
    const outside = path.join(path.dirname(devices), 'etc');
    mkdirSync(outside, { recursive: true });
    mkdirSync(devices, { recursive: true });
    symlinkSync(outside, path.join(devices, 'sub'));
    const backend = await started(state, { root: devices });
    const through = await backend.apply(change('create', 'a', { path: path.join(devices, 'sub', 'passwd') }), signal);
    assert.equal(through.outcome, 'permanent');
    assert.match((through as { reason: string }).reason, /outside the backend's root/);
    const deeper = await backend.apply(
      change('create', 'b', { path: path.join(devices, 'sub', 'new', 'deeper', 'x') }),
      signal,
    );
    assert.equal(deeper.outcome, 'permanent');
    assert.equal(existsSync(path.join(outside, 'passwd')), false);
    assert.equal(existsSync(path.join(outside, 'new')), false, 'no folder made outside root');
    // A subfolder linked inside root is fine, and so is a root that is itself a symlink.
    mkdirSync(path.join(devices, 'real'));
    symlinkSync(path.join(devices, 'real'), path.join(devices, 'alias'));
    assert.equal(
      (await backend.apply(change('create', 'c', { path: path.join(devices, 'alias', 'zwave') }), signal)).outcome,
      'acknowledged',
    );
    const linkedRoot = path.join(path.dirname(devices), 'devices-link');
    symlinkSync(devices, linkedRoot);
    const viaLinkedRoot = await started(path.join(state, 'second'), { root: linkedRoot });
    assert.equal(
      (await viaLinkedRoot.apply(change('create', 'd', { path: path.join(linkedRoot, 'gps') }), signal)).outcome,
      'acknowledged',
    );
    assert.equal(readlinkSync(path.join(devices, 'gps')), '/dev/ttyACM0');
  });

  test('a restarted backend knows its links: removes them, and makes again one that vanished', async () => {
    const { state, devices } = space();
    const zwave = path.join(devices, 'zwave');
    const gps = path.join(devices, 'gps');
    const first = await started(state);
    await first.apply(change('create', 'zwave:1', { path: zwave }), signal);
    await first.apply(change('create', 'gps:1', { path: gps }, serialFacts('/dev/ttyACM1')), signal);
    await first.close();
    unlinkSync(gps); // as if /run were a tmpfs and the gateway rebooted
    const second = await started(state);
    assert.equal(readlinkSync(gps), '/dev/ttyACM1', 'restored at start');
    assert.deepEqual(await second.apply(change('delete', 'zwave:1', { path: zwave }), signal), {
      outcome: 'acknowledged',
    });
    assert.equal(lstatSafe(zwave), false);
  });

  test('a record of the wrong shape is dropped alone: the good ones are kept, and the link at its path is left alone', async () => {
    const { state, devices } = space();
    const zwave = path.join(devices, 'zwave');
    const gps = path.join(devices, 'gps');
    mkdirSync(devices, { recursive: true });
    mkdirSync(state, { recursive: true });
    symlinkSync('/dev/ttyACM0', zwave);
    symlinkSync('/dev/ttyACM1', gps);
    // The gps record damaged by hand (a target that is not a string), and a record that is not one at all.
    const file = path.join(state, 'link-link.json');
    const links = {
      [zwave]: { identifier: 'zwave:1', target: '/dev/ttyACM0' },
      [gps]: { identifier: 'gps:1', target: 7 },
      [path.join(devices, 'other')]: null,
    };
    writeFileSync(file, JSON.stringify({ version: 1, links }));
    const lines: string[] = [];
    const backend = linkBackend.create!(
      {},
      { name: 'link', log: createLogger('warn', (line) => lines.push(line)), stateDir: state },
    );
    await backend.start!();
    assert.equal(lines.filter((line) => line.includes('state entry of the wrong shape; dropped')).length, 2);
    // Nothing that was good is lost: the zwave link is still this engine's, and moves.
    assert.equal(
      (await backend.apply(change('update', 'zwave:1', { path: zwave }, serialFacts('/dev/ttyACM2')), signal)).outcome,
      'acknowledged',
    );
    assert.equal(readlinkSync(zwave), '/dev/ttyACM2');
    // The gps link is no longer known to be this engine's: never replaced, never removed.
    assert.equal(
      (await backend.apply(change('create', 'gps:1', { path: gps }, serialFacts('/dev/ttyACM3')), signal)).outcome,
      'permanent',
    );
    assert.equal((await backend.apply(change('delete', 'gps:1', { path: gps }), signal)).outcome, 'acknowledged');
    assert.equal(readlinkSync(gps), '/dev/ttyACM1');
    await backend.close();
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).links, {
      [zwave]: { identifier: 'zwave:1', target: '/dev/ttyACM2' },
    });
  });

  test('a folder that cannot be made yet (ENOTDIR) is retried, and the link made once it can', async () => {
    const { state, devices } = space();
    mkdirSync(path.dirname(devices), { recursive: true });
    writeFileSync(devices, 'not a folder yet');
    const backend = await started(state);
    const blocked = await backend.apply(change('create', 'zwave:1', { path: path.join(devices, 'zwave') }), signal);
    assert.equal(blocked.outcome, 'retry');
    assert.match((blocked as { reason: string }).reason, /^ENOTDIR: /);
    unlinkSync(devices);
    assert.equal(
      (await backend.apply(change('create', 'zwave:1', { path: path.join(devices, 'zwave') }), signal)).outcome,
      'acknowledged',
    );
    assert.equal(readlinkSync(path.join(devices, 'zwave')), '/dev/ttyACM0');
  });

  test('an unreadable record file is never written over: start and every change fail until it is fixed', async () => {
    const { state, devices } = space();
    mkdirSync(state, { recursive: true });
    const file = path.join(state, 'link-link.json');
    writeFileSync(file, '{"links": {"/run/devices/zw');
    const backend = linkBackend.create!({}, { name: 'link', log: createLogger('error'), stateDir: state });
    await assert.rejects(backend.start!());
    await assert.rejects(backend.apply(change('create', 'zwave:1', { path: path.join(devices, 'zwave') }), signal));
    assert.equal(readFileSync(file, 'utf8'), '{"links": {"/run/devices/zw');
    assert.equal(lstatSafe(path.join(devices, 'zwave')), false);
  });
});

/** Whether anything (even a dangling symlink) is at the path. */
function lstatSafe(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
