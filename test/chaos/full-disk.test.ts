// The state folder on a file system that fills up: an append to the journal is then cut short
// (ENOSPC gives a short write first, not an error). The real engine must not send a request
// whose write-ahead record is not whole in the file, and once space returns and it restarts,
// the backend holds exactly the devices present: none registered twice, none left behind.
// Needs root, to mount a tiny tmpfs on the state folder; skipped, saying so, otherwise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { HOLDS_FILE } from '../../engine/reconcile/hold-times-file.js';
import { JOURNAL_FILE, STATE_FILE } from '../../engine/reconcile/state-store.js';
import { startMisbehavingBackend, type MisbehavingBackend } from '../fakes/misbehaving-backend.js';
import {
  deviceProfile,
  startEngine,
  waitFor,
  workspace,
  writeConfig,
  type EngineProcess,
  type Workspace,
} from '../daemon/engine-process.js';

const mountTmpfs = (folder: string) =>
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', folder], { encoding: 'utf8' });
const unmount = (folder: string) => spawnSync('umount', [folder]);

/** Why this machine cannot run the test, if it cannot. */
function cannotMount(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs on the state folder';
  const probe = mkdtempSync(path.join(tmpdir(), 'tmpfs-probe-'));
  const mounted = mountTmpfs(probe);
  if (mounted.status === 0) unmount(probe);
  rmSync(probe, { recursive: true, force: true });
  return mounted.status === 0
    ? undefined
    : `mount -t tmpfs failed: ${(mounted.stderr || mounted.error?.message) ?? ''}`;
}

/** Fills the file system holding `folder` to the last byte. */
function fill(folder: string): string {
  const filler = path.join(folder, 'filler');
  const descriptor = openSync(filler, 'w');
  const chunk = Buffer.alloc(4096, 'x');
  try {
    for (;;) writeSync(descriptor, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(descriptor);
  }
  return filler;
}

/** The identifiers the state folder holds a whole record of (a write-ahead or an acknowledgement). */
function recorded(folder: string): Set<string> {
  const identifiers = new Set<string>();
  const read = (file: string) => {
    try {
      return readFileSync(path.join(folder, file), 'utf8');
    } catch {
      return '';
    }
  };
  const snapshot = read(STATE_FILE);
  if (snapshot) for (const entry of JSON.parse(snapshot).entries) identifiers.add(entry.identifier);
  // Only whole lines count: a last line without its newline was cut short.
  for (const line of read(JOURNAL_FILE).split('\n').slice(0, -1)) {
    try {
      const record = JSON.parse(line) as { entry?: { identifier?: string } | null };
      if (record.entry?.identifier) identifiers.add(record.entry.identifier);
    } catch {
      // A damaged line records nothing.
    }
  }
  return identifiers;
}

/** A workspace whose state folder is a tiny tmpfs, with one profile and a backend; see `onTinyStateDisk`. */
interface TinyDiskScene {
  space: Workspace;
  backend: MisbehavingBackend;
  /** Starts an engine on the workspace; every one started is killed at the end. */
  start(): Promise<EngineProcess>;
  /** The identifiers the backend holds, sorted, joined by commas. */
  ours(): string;
}

/** Runs `body` with the state folder on a 256 KiB tmpfs and `profile` as the one profile; undoes it all after. */
async function onTinyStateDisk(
  profile: (space: Workspace) => string,
  body: (scene: TinyDiskScene) => Promise<void>,
): Promise<void> {
  const space = workspace();
  assert.equal(mountTmpfs(space.state).status, 0);
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), profile(space));
  const backend = await startMisbehavingBackend();
  writeConfig(space, backend.url);
  const engines: EngineProcess[] = [];
  try {
    await body({
      space,
      backend,
      start: async () => {
        const engine = await startEngine(space);
        engines.push(engine);
        return engine;
      },
      ours: () => [...backend.peripherals.keys()].sort().join(),
    });
  } finally {
    for (const engine of engines) await engine.kill().catch(() => undefined);
    await backend.close();
    unmount(space.state);
    rmSync(space.root, { recursive: true, force: true });
  }
}

test(
  'chaos: a full state disk stops requests without a whole write-ahead record; after space returns and a restart, exactly the present set',
  { skip: cannotMount() },
  () =>
    onTinyStateDisk(deviceProfile, async ({ space, backend, start, ours }) => {
      let engine = await start();
      const plug = (name: string) => writeFileSync(path.join(space.dev, name), '');
      for (const name of ['sensor1', 'sensor2']) plug(name);
      await waitFor('the first two registered', () => ours() === 'test-device:sensor1,test-device:sensor2');
      const filler = fill(space.state);
      const late = ['sensor3', 'sensor4', 'sensor5', 'sensor6', 'sensor7', 'sensor8'];
      for (const name of late) plug(name);
      await waitFor(
        'the engine failing to save, and every new device either sent or held back',
        async () => {
          if (!engine.logs.some((line) => line.msg === 'could not save state; trying again')) return false;
          const devices = (await engine.get('/devices')).body as {
            deliveries: { identifier: string; state: string }[];
          }[];
          const states = new Map(
            devices.flatMap((device) => device.deliveries).map((delivery) => [delivery.identifier, delivery.state]),
          );
          return late.every((name) => ['retrying', 'acknowledged'].includes(states.get(`test-device:${name}`) ?? ''));
        },
        30_000,
      );
      const sent = new Set(backend.requests.flatMap((request) => (request.identifier ? [request.identifier] : [])));
      const whole = recorded(space.state);
      for (const identifier of sent) assert.ok(whole.has(identifier), `${identifier} was sent without a whole record`);
      assert.ok(
        late.some((name) => !sent.has(`test-device:${name}`)),
        'the full disk held some requests back',
      );

      // Killed while the disk is full; space returns; devices leave while the engine is down.
      await engine.kill();
      unlinkSync(filler);
      for (const name of ['sensor1', 'sensor3', 'sensor4', 'sensor5', 'sensor6'])
        unlinkSync(path.join(space.dev, name));
      engine = await start();
      await waitFor(
        'exactly the present set',
        () => ours() === 'test-device:sensor2,test-device:sensor7,test-device:sensor8',
        30_000,
      );
      const twice = backend.registrations.filter(
        (identifier, index) => backend.registrations.indexOf(identifier) !== index,
      );
      assert.deepEqual(twice, [], 'nothing registered twice');
      assert.ok(
        !engine.logs.some((line) => /someone else/.test(String(line.msg))),
        'nothing of its own taken as foreign',
      );
      assert.equal((await engine.get('/healthz')).status, 200);
      assert.equal(await engine.stop(), 0);
    }),
);

test(
  'chaos: a device held while the state disk is full: its hold runs on, its DELETE waits for space and is sent once, a restart sends nothing',
  { skip: cannotMount() },
  () =>
    // A short hold: it ends while the disk is still full (nothing here waits for it to pass).
    onTinyStateDisk(
      (space) => `holdMs: 300\n${deviceProfile(space)}`,
      async ({ space, backend, start, ours }) => {
        let engine = await start();
        const deletes = () => backend.requests.filter((request) => request.method === 'DELETE');
        const logged = (message: string) => engine.logs.some((line) => line.msg === message);
        for (const name of ['sensor1', 'sensor2']) writeFileSync(path.join(space.dev, name), '');
        await waitFor('both registered', () => ours() === 'test-device:sensor1,test-device:sensor2');
        const filler = fill(space.state);
        unlinkSync(path.join(space.dev, 'sensor1'));
        // The hold cannot be written down, and once it is over neither can the DELETE's record.
        await waitFor('the hold not kept on disk', () => logged('could not save device holds; trying again'), 30_000);
        await waitFor(
          'the DELETE held back for want of space',
          () => logged('could not save state; trying again'),
          30_000,
        );
        assert.deepEqual(deletes(), [], 'no DELETE without a whole write-ahead record');
        assert.equal((await engine.get('/healthz')).status, 200, 'the engine answers with its disk full');

        unlinkSync(filler);
        await waitFor('exactly the present set once space returns', () => ours() === 'test-device:sensor2', 30_000);
        await waitFor('the holds saved again, the ended one gone', () => {
          if (!logged('device holds saved again')) return false;
          return Object.keys(JSON.parse(readFileSync(path.join(space.state, HOLDS_FILE), 'utf8')).holds).length === 0;
        });
        assert.deepEqual(
          deletes().map((request) => request.identifier),
          ['test-device:sensor1'],
          'one DELETE, for the device that went',
        );

        // A restart finds nothing to do: no hold to start again, nothing to register or delete
        // (its look at the agent's health aside). A device plugged after it marks when what the
        // start decided has been sent: its POST is queued behind anything the start queued.
        assert.equal(await engine.stop(), 0);
        const before = backend.requests.length;
        engine = await start();
        writeFileSync(path.join(space.dev, 'sensor3'), '');
        await waitFor('the device plugged after the restart registered', () => ours().includes('sensor3'));
        assert.deepEqual(
          backend.requests
            .slice(before)
            .flatMap((request) => (request.identifier ? [`${request.method} ${request.identifier}`] : [])),
          ['POST test-device:sensor3'],
          'the restart itself sent nothing',
        );
        assert.equal(ours(), 'test-device:sensor2,test-device:sensor3');
        assert.deepEqual(
          backend.registrations,
          ['test-device:sensor1', 'test-device:sensor2', 'test-device:sensor3'],
          'each registered once',
        );
      },
    ),
);
