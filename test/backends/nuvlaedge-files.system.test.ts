import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend, Change, Payload } from '../../engine/backends/backend.js';
import { nuvlaboxPeripheralSchema } from '../../engine/backends/shared/nuvlabox-peripheral.js';
import { nuvlaedgeFilesBackend } from '../../engine/backends/nuvlaedge/nuvlaedge-files.js';
import { withFileLock } from '../../engine/backends/nuvlaedge/nuvlaedge-lock.js';
import { NuvlaedgePublisher } from '../../engine/backends/nuvlaedge/nuvlaedge-publisher.js';
import { channelPaths, snapshotFileName } from '../../engine/backends/nuvlaedge/nuvlaedge-snapshot.js';
import { stateFile } from '../../engine/backends/nuvlaedge/nuvlaedge-state.js';
import { defaultConfig } from '../../engine/config/load-config.js';
import { createLogger } from '../../engine/core/log.js';
import { waitFor } from '../daemon/engine-process.js';
import {
  AGENT_FILE_PATTERN,
  NuvlaedgeReader,
  type ReaderOptions,
  type ReadSnapshot,
  snapshotTime,
} from '../fakes/nuvlaedge-reader.js';
import { configIssues, notifyIssues } from './notify-options.js';

test('nuvlaedge notify entries take no options', () => {
  assert.deepEqual(notifyIssues('{ backend: nuvlaedge }'), []);
  assert.deepEqual(notifyIssues('{ backend: nuvlaedge, root: /tmp }'), [{ code: 'unknown-key', line: 5, col: 27 }]);
});

test('nuvlaedge-files config: root absolute, manager name kebab-case', () => {
  assert.deepEqual(
    configIssues('    type: nuvlaedge-files\n    root: /srv/nuvlaedge/shared\n    managerName: usb-engine\n'),
    [],
  );
  assert.deepEqual(configIssues('    type: nuvlaedge-files\n    root: relative/path\n'), [
    { code: 'invalid-value', line: 4, col: 11 },
  ]);
  assert.deepEqual(configIssues('    type: nuvlaedge-files\n    managerName: "../escape"\n'), [
    { code: 'invalid-value', line: 4, col: 18 },
  ]);
});

test('the built-in nuvlaedge backend reads NUVLAEDGE_ROOT', () => {
  const find = (env: NodeJS.ProcessEnv) => defaultConfig(env).backends.find((backend) => backend.name === 'nuvlaedge');
  assert.deepEqual(find({})?.options, { root: '/var/lib/nuvlaedge' });
  assert.deepEqual(find({ NUVLAEDGE_ROOT: '/srv/nuvlaedge/shared' })?.options, { root: '/srv/nuvlaedge/shared' });
});

// Delivery, against real folders and the reader in test/fakes/nuvlaedge-reader.ts, which does
// what the NuvlaEdge agent does with a channel. Snapshot names have a one-second resolution, so
// several of these tests take a second or two by design.
describe('nuvlaedge-files delivery', () => {
  const webcam = { identifier: 'usb-046d-0825', available: true, classes: ['video'], name: 'Webcam', interface: 'USB' };
  const gps = { identifier: 'usb-1546-01a7', available: true, classes: ['gps'], 'device-path': '/dev/ttyACM0' };
  const modem = { identifier: 'usb-12d1-1506', available: true, classes: ['modem'] };
  const SNAPSHOT_NAME = /^\d{14}_engine\.json$/;

  let folder: string;
  let root: string;
  let stateDir: string;
  let logLines: Record<string, unknown>[];
  const backends: Backend[] = [];

  beforeEach(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'nuvlaedge-files-'));
    root = path.join(folder, 'shared');
    stateDir = path.join(folder, 'state');
    logLines = [];
  });
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
    await chmod(folder, 0o755).catch(() => {});
    await rm(folder, { recursive: true, force: true });
  });

  function backendWith(config: Record<string, unknown> = {}, name = 'nuvlaedge'): Backend {
    const lines: Record<string, unknown>[] = [];
    logLines = lines;
    const log = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    const backend = nuvlaedgeFilesBackend.create!({ root, managerName: 'engine', ...config }, { name, log, stateDir });
    backends.push(backend);
    return backend;
  }

  const change = (op: Change['op'], payload: Payload, identifier = String(payload['identifier'])): Change => ({
    op,
    identifier,
    payload,
    notify: { backend: 'nuvlaedge' },
  });
  const live = () => new AbortController().signal;
  const acknowledged = { outcome: 'acknowledged' };
  const channel = () => path.join(root, '.peripherals', 'engine');
  const buffer = () => path.join(channel(), 'buffer');
  const bufferNames = async () => (await readdir(buffer()).catch(() => [] as string[])).sort();
  const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as unknown;
  const published = () =>
    logLines.filter((line) => line['msg'] === 'peripherals published').map((line) => String(line['file']));
  const readerFor = (options: Partial<ReaderOptions> = {}) =>
    new NuvlaedgeReader({ root, managerName: 'engine', ...options });

  test('one device: a file holding exactly its document, named <MMDDYYYYhhmmss>_engine.json in local time', async () => {
    const backend = backendWith();
    const before = Date.now();
    assert.deepEqual(await backend.apply(change('create', webcam), live()), acknowledged);
    const after = Date.now();

    const names = await bufferNames();
    assert.equal(names.length, 1);
    const [name] = names as [string];
    assert.match(name, SNAPSHOT_NAME);
    const stamp = snapshotTime(name)!.getTime();
    assert.ok(
      stamp >= Math.floor(before / 1000) * 1000 && stamp <= after,
      `${name} is not the local time of the write`,
    );
    assert.deepEqual(await readJson(path.join(buffer(), name)), { [webcam.identifier]: webcam });
    assert.deepEqual(await readJson(path.join(stateDir, 'nuvlaedge-nuvlaedge.json')), {
      version: 1,
      peripherals: { [webcam.identifier]: webcam },
    });

    const reader = readerFor();
    assert.deepEqual(
      (await reader.poll()).map((snapshot) => snapshot.name),
      [name],
    );
    assert.deepEqual(reader.view(), { [webcam.identifier]: webcam });
    assert.deepEqual(await bufferNames(), [], 'the reader deletes what it read');
  });

  test('the last device deleted: {} is published, and the reader forgets it once it expires', async () => {
    let now = 1_000_000;
    const reader = readerFor({ now: () => now });
    const backend = backendWith();
    await backend.apply(change('create', webcam), live());
    await reader.poll();
    assert.deepEqual(await backend.apply(change('delete', webcam), live()), acknowledged);

    const names = await bufferNames();
    assert.equal(names.length, 1);
    assert.deepEqual(await readJson(path.join(buffer(), names[0]!)), {});
    now += 5 * 60_000 + 1;
    await reader.poll();
    assert.deepEqual(reader.view(), {});
    assert.deepEqual(
      reader.consumed.map((snapshot) => snapshot.data),
      [{ [webcam.identifier]: webcam }, {}],
    );
  });

  test('two changes within one second: two files with different names, the second a second later', async () => {
    const reader = readerFor();
    const backend = backendWith();
    await backend.apply(change('create', webcam), live());
    await reader.poll();
    assert.deepEqual(await backend.apply(change('create', gps), live()), acknowledged);
    await reader.poll();

    const [first, second] = reader.consumed as [ReadSnapshot, ReadSnapshot];
    assert.equal(reader.consumed.length, 2);
    assert.notEqual(first.name, second.name);
    assert.ok(
      second.time.getTime() >= first.time.getTime() + 1000,
      `${second.name} is not a second after ${first.name}`,
    );
    assert.deepEqual(first.data, { [webcam.identifier]: webcam });
    assert.deepEqual(second.data, { [webcam.identifier]: webcam, [gps.identifier]: gps });
    assert.deepEqual(published(), [first.name, second.name]);
    assert.deepEqual(reader.view(), { [webcam.identifier]: webcam, [gps.identifier]: gps });
  });

  test('concurrent changes are coalesced into one snapshot', async () => {
    const backend = backendWith();
    const results = await Promise.all(
      [webcam, gps, modem].map((document) => backend.apply(change('create', document), live())),
    );
    assert.deepEqual(results, [acknowledged, acknowledged, acknowledged]);
    assert.equal(published().length, 1);
    const names = await bufferNames();
    assert.deepEqual(names, published());
    assert.deepEqual(await readJson(path.join(buffer(), names[0]!)), {
      [webcam.identifier]: webcam,
      [gps.identifier]: gps,
      [modem.identifier]: modem,
    });
  });

  test('only the newest snapshot stays in the buffer: the agent would apply the oldest of a pass', async () => {
    const backend = backendWith();
    await backend.apply(change('create', webcam), live());
    await backend.apply(change('create', gps), live());
    assert.equal(published().length, 2);
    assert.deepEqual(await bufferNames(), published().slice(1));

    const reader = readerFor({ agentQuirks: true });
    await reader.poll();
    assert.deepEqual(reader.view(), { [webcam.identifier]: webcam, [gps.identifier]: gps });
  });

  test('a restarted engine publishes the whole persisted set before any change', async () => {
    const first = backendWith();
    await first.apply(change('create', webcam), live());
    await first.apply(change('create', gps), live());
    await first.close();
    const reader = readerFor();
    await reader.poll();

    const second = backendWith();
    await second.close(); // waits for the start-up publication
    const names = await bufferNames();
    assert.equal(names.length, 1);
    assert.deepEqual(await readJson(path.join(buffer(), names[0]!)), {
      [webcam.identifier]: webcam,
      [gps.identifier]: gps,
    });

    const third = backendWith();
    assert.deepEqual(await third.apply(change('create', modem), live()), acknowledged);
    await reader.poll();
    assert.deepEqual(reader.consumed.at(-1)?.data, {
      [webcam.identifier]: webcam,
      [gps.identifier]: gps,
      [modem.identifier]: modem,
    });
  });

  test('the set is republished every republishMs, but an empty set only once', async () => {
    const reader = readerFor();
    const backend = backendWith({ republishMs: 1000 });
    await backend.apply(change('create', webcam), live());
    await reader.poll();
    // Each wait is on what the publisher did, never on the clock: a busy machine only delays it.
    await waitFor('the set published again', async () => (await reader.poll(), reader.consumed.length >= 2), 20_000);
    assert.deepEqual(
      reader.consumed.map((snapshot) => snapshot.data),
      [{ [webcam.identifier]: webcam }, { [webcam.identifier]: webcam }],
    );

    const skipped = () =>
      logLines.filter((line) => line['msg'] === 'nothing to republish: the empty set is published already').length;
    const skippedBefore = skipped();
    await backend.apply(change('delete', webcam), live());
    await reader.poll();
    assert.deepEqual(reader.consumed.at(-1)?.data, {});
    // Two republish times: the timer is armed again only once the first one's write (were there
    // one) is done, so the second proves the first wrote nothing.
    await waitFor('two republish times with the empty set', () => skipped() >= skippedBefore + 2, 20_000);
    assert.deepEqual(await bufferNames(), [], 'an empty set already published is not published again');
  });

  test('a root under a regular file (ENOTDIR): retry, and delivery once the folder can be made', async () => {
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'shared'), 'not a folder');
    const backend = backendWith();
    const result = await backend.apply(change('create', webcam), live());
    assert.equal(result.outcome, 'retry');
    assert.match((result as { reason: string }).reason, /ENOTDIR/);
    assert.ok(logLines.some((line) => line['level'] === 'warn' && line['msg'] === 'publishing peripherals failed'));

    await rm(path.join(folder, 'shared'));
    assert.deepEqual(await backend.apply(change('create', webcam), live()), acknowledged);
    const names = await bufferNames();
    assert.deepEqual(await readJson(path.join(buffer(), names[0]!)), { [webcam.identifier]: webcam });
  });

  test('an unwritable state folder: retry', async () => {
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'state'), 'not a folder');
    const result = await backendWith().apply(change('create', webcam), live());
    assert.equal(result.outcome, 'retry');
    assert.deepEqual(await bufferNames(), [], 'nothing is published that could not be persisted');
  });

  // The skip is decided up front: Node 20 runs no afterEach for a test that calls t.skip().
  const asRoot = process.getuid?.() === 0;
  test(
    'a read-only root (EACCES): retry',
    { skip: asRoot && 'running as root: permission bits do not stop root (the ENOTDIR test covers the path)' },
    async () => {
      await mkdir(root, { recursive: true });
      await chmod(root, 0o555);
      const result = await backendWith().apply(change('create', webcam), live());
      assert.equal(result.outcome, 'retry');
      assert.match((result as { reason: string }).reason, /EACCES/);
    },
  );

  test('temporary files never appear in the buffer, even to a reader polling all the time', async () => {
    const backend = backendWith();
    const seen = new Set<string>();
    const reader = readerFor();
    let writing = true;
    const watch = (async () => {
      while (writing) {
        for (const name of await bufferNames()) seen.add(name);
        await reader.poll(); // throws BufferEntryError on any name the agent would reject
      }
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    for (const document of [webcam, gps, modem])
      assert.deepEqual(await backend.apply(change('create', document), live()), acknowledged);
    writing = false;
    assert.equal(await watch, undefined);
    await reader.poll();

    assert.equal(reader.consumed.length, 3, 'the polling reader read every snapshot');
    for (const name of [...seen, ...reader.consumed.map((snapshot) => snapshot.name)])
      assert.match(name, SNAPSHOT_NAME);
    assert.deepEqual(reader.view(), { [webcam.identifier]: webcam, [gps.identifier]: gps, [modem.identifier]: modem });
    assert.deepEqual((await readdir(channel())).sort(), ['buffer', 'engine.lock'], 'no temporary file is left behind');
  });

  describe('the channel lock', { skip: hasUtilLinuxFlock() ? false : 'util-linux flock(1) is not installed' }, () => {
    /** Holds the channel lock from another process for `ms`; resolves once it is held. */
    async function holdLock(program: string, args: string[], ms: number): Promise<ChildProcess> {
      await mkdir(channel(), { recursive: true });
      const holder = spawn(program, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
      });
      setTimeout(() => holder.kill(), ms + 5000).unref();
      return holder;
    }
    const holdWithFlock = (ms: number) =>
      holdLock('flock', [path.join(channel(), 'engine.lock'), 'sh', '-c', `echo held; sleep ${ms / 1000}`], ms);
    // What the agent does: py-filelock's UnixFileLock, fcntl.flock(LOCK_EX | LOCK_NB) on the file.
    const holdLikeTheAgent = (ms: number) =>
      holdLock(
        'python3',
        [
          '-c',
          'import fcntl, os, sys, time\n' +
            'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)\n' +
            'fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n' +
            'print("held", flush=True)\n' +
            'time.sleep(float(sys.argv[2]))\n',
          path.join(channel(), 'engine.lock'),
          String(ms / 1000),
        ],
        ms,
      );
    const exited = (child: ChildProcess) =>
      new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));

    async function assertWaitsFor(hold: (ms: number) => Promise<ChildProcess>) {
      const holder = await hold(1200);
      const backend = backendWith();
      const started = Date.now();
      let done = false;
      const applying = backend.apply(change('create', webcam), live()).finally(() => (done = true));
      await sleep(600);
      assert.equal(done, false, 'apply waits for the lock');
      assert.deepEqual(await bufferNames(), [], 'nothing is renamed into the buffer while the lock is held');
      assert.deepEqual(await applying, acknowledged);
      await exited(holder);
      assert.ok(Date.now() - started >= 1000, 'acknowledged only after the holder let go');
      assert.equal((await bufferNames()).length, 1);
    }

    test('a write waits while flock(1) holds the lock', () => assertWaitsFor(holdWithFlock));

    const hasPython = spawnSync('python3', ['-c', 'import fcntl'], { stdio: 'ignore' }).status === 0;
    test(
      'a write waits while the lock is held the way the agent takes it (python fcntl.flock)',
      { skip: !hasPython && 'python3 is not installed' },
      () => assertWaitsFor(holdLikeTheAgent),
    );

    test('a lock held past the timeout: retry, and no temporary file left', async () => {
      const holder = await holdWithFlock(1500);
      const log = createLogger('error', () => {});
      const publisher = new NuvlaedgePublisher({
        channel: channelPaths(root, 'engine'),
        state: stateFile(stateDir, 'nuvlaedge'),
        republishMs: 60_000,
        lockTimeoutMs: 300,
        log,
      });
      backends.push(publisher);
      const result = await publisher.apply(change('create', webcam), live());
      assert.equal(result.outcome, 'retry');
      assert.match((result as { reason: string }).reason, /still held/);
      assert.deepEqual((await readdir(channel())).sort(), ['buffer', 'engine.lock']);
      await exited(holder);
      assert.deepEqual(await publisher.apply(change('create', webcam), live()), acknowledged);
    });

    test('an apply aborted while waiting for the lock: retry; the change goes out with the next snapshot', async () => {
      const holder = await holdWithFlock(800);
      const backend = backendWith();
      const aborter = new AbortController();
      setTimeout(() => aborter.abort(), 100);
      assert.deepEqual(await backend.apply(change('create', webcam), aborter.signal), {
        outcome: 'retry',
        reason: 'aborted before the snapshot was written',
      });
      await exited(holder);
      await backend.close();
      const names = await bufferNames();
      assert.deepEqual(await readJson(path.join(buffer(), names[0]!)), { [webcam.identifier]: webcam });
    });
  });

  test('without flock(1): an exclusive-create lock file, with one warning', async () => {
    const lines: string[] = [];
    const log = createLogger('warn', (line) => lines.push(line));
    const lock = path.join(folder, 'channel.lock');
    const options = { timeoutMs: 2000, log, flockCommand: path.join(folder, 'no-such-flock') };
    const order: string[] = [];
    const hold = (label: string) =>
      withFileLock(lock, options, async () => {
        order.push(`${label} in`);
        assert.ok((await readdir(folder)).includes('channel.lock'));
        await sleep(150);
        order.push(`${label} out`);
      });
    await Promise.all([hold('a'), hold('b')]);
    // Either may take the lock first; the other must wait until it is released.
    const first = order[0]!.split(' ')[0]!;
    const second = first === 'a' ? 'b' : 'a';
    assert.deepEqual(order, [`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /exclusive-create lock file/);
    assert.ok(!(await readdir(folder)).includes('channel.lock'), 'the lock file is removed on release');
  });

  test('a hyphenated manager name: its own folder, files signed without the hyphen (the agent rejects -)', async () => {
    const backend = backendWith({ managerName: 'usb-engine' });
    await backend.apply(change('create', webcam), live());
    const names = await readdir(path.join(root, '.peripherals', 'usb-engine', 'buffer'));
    assert.equal(names.length, 1);
    assert.match(names[0]!, /^\d{14}_usbengine\.json$/);
    assert.match(names[0]!, AGENT_FILE_PATTERN);
    const reader = new NuvlaedgeReader({ root, managerName: 'usb-engine' });
    await reader.poll();
    assert.deepEqual(reader.view(), { [webcam.identifier]: webcam });
  });

  test("a document whose identifier is not the change's is refused; the reader rejects invalid entries", async () => {
    const backend = backendWith();
    assert.equal((await backend.apply(change('create', webcam, 'other-id'), live())).outcome, 'permanent');
    const noClasses = { identifier: 'usb-0403-6001', available: true };
    await backend.apply(change('create', noClasses), live());
    const reader = readerFor();
    await reader.poll();
    assert.deepEqual(reader.view(), {});
    assert.deepEqual(reader.rejected, [
      { file: reader.consumed[0]!.name, identifier: 'usb-0403-6001', reason: 'classes missing or not a list' },
    ]);
  });
});

describe('the nuvlaedge-files definition', () => {
  test('payloads are checked against the nuvlabox-peripheral schema, and create makes a backend that publishes', async () => {
    assert.equal(nuvlaedgeFilesBackend.documentSchema, nuvlaboxPeripheralSchema);
    const folder = await mkdtemp(path.join(tmpdir(), 'nuvlaedge-create-'));
    // Only root and managerName: create fills the schema's defaults in for the rest.
    const backend = nuvlaedgeFilesBackend.create(
      { root: folder, managerName: 'engine' },
      { name: 'nuvlaedge', log: createLogger('error'), stateDir: folder },
    );
    try {
      const document = { identifier: 'gps-1', available: true, classes: ['gps'] };
      const result = await backend.apply(
        { op: 'create', identifier: 'gps-1', payload: document, notify: { backend: 'nuvlaedge' } },
        new AbortController().signal,
      );
      assert.deepEqual(result, { outcome: 'acknowledged' });
      const reader = new NuvlaedgeReader({ root: folder, managerName: 'engine' });
      await reader.poll();
      assert.deepEqual(
        reader.consumed.map((snapshot) => snapshot.data),
        [{ 'gps-1': document }],
      );
    } finally {
      await backend.close();
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('republishMs: an integer from 1000 to 90000, well inside the 5-minute expiry', () => {
    assert.deepEqual(configIssues('    type: nuvlaedge-files\n    republishMs: 30000\n'), []);
    assert.deepEqual(configIssues('    type: nuvlaedge-files\n    republishMs: 90000\n'), []);
    assert.deepEqual(
      configIssues('    type: nuvlaedge-files\n    republishMs: 240000\n').map(({ code, line }) => ({ code, line })),
      [{ code: 'invalid-value', line: 4 }],
    );
    assert.deepEqual(
      configIssues('    type: nuvlaedge-files\n    republishMs: 999\n').map(({ code, line }) => ({ code, line })),
      [{ code: 'invalid-value', line: 4 }],
    );
    assert.deepEqual(
      configIssues('    type: nuvlaedge-files\n    republishMs: 1500.5\n').map(({ line }) => line),
      [4],
    );
  });

  test('snapshot names: MMDDYYYYhhmmss in local time, zero-padded', () => {
    assert.equal(snapshotFileName(new Date(2024, 0, 2, 3, 4, 5), 'engine'), '01022024030405_engine.json');
    assert.equal(snapshotFileName(new Date(2025, 11, 31, 23, 59, 59), 'usbengine'), '12312025235959_usbengine.json');
    assert.equal(
      snapshotTime('12312025235959_usbengine.json')?.getTime(),
      new Date(2025, 11, 31, 23, 59, 59).getTime(),
    );
  });
});

function hasUtilLinuxFlock(): boolean {
  const result = spawnSync('flock', ['--version'], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('util-linux');
}
