// Chaos: paths the engine is never told about. inotify drops events once its queue is full (and
// libuv drops the overflow notice itself), a file name may be bytes that are not UTF-8, and a
// glob may escape a wildcard. Whatever was missed, the backend must end with exactly the paths
// present, nothing registered twice, and the daemon answering.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { deviceProfile, waitFor, type EngineProcess, type Workspace } from '../daemon/engine-process.js';
import { CLI } from '../paths.js';
import { holdsExactly, NO_RESYNC, scene } from './converged.js';

const QUEUE_LIMIT = Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
/** Filling a queue much longer than the default (16,384) would take the test too long. */
const overflowSkip =
  QUEUE_LIMIT > 100_000 ? `the inotify queue holds ${QUEUE_LIMIT} events: too many to fill here` : false;

/**
 * Makes `change` while the engine is stopped (SIGSTOP): its inotify queue fills with the events
 * of `noise` files created in `noiseFolder` first, so that the kernel drops every event after them.
 */
function overflowThen(engine: EngineProcess, noiseFolder: string, change: () => void): void {
  process.kill(engine.pid, 'SIGSTOP');
  try {
    for (let index = 0; index < QUEUE_LIMIT + 1000; index++)
      writeFileSync(path.join(noiseFolder, `noise-${index}`), '');
    change();
  } finally {
    process.kill(engine.pid, 'SIGCONT');
  }
}

const sensors = (...names: string[]) => names.map((name) => `test-device:${name}`);

/** The sensor profile, and a second watched folder (`noise`, with a profile of its own) whose events fill the queue. */
function withNoiseFolder(space: Workspace): void {
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
  mkdirSync(path.join(space.root, 'noise'));
  writeFileSync(
    path.join(space.profiles, 'other.yaml'),
    deviceProfile(space, { name: 'other', prefix: 'x' }).replace(space.dev, path.join(space.root, 'noise')),
  );
}

describe('events the engine is never told about', () => {
  test('an overflowed queue in the watched folder: the next events re-list it', { skip: overflowSkip }, () =>
    scene(
      (space) => {
        writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
        writeFileSync(path.join(space.dev, 'sensor0'), '');
      },
      async ({ space, agent, engine }) => {
        await holdsExactly(agent, engine, sensors('sensor0'));
        overflowThen(engine, space.dev, () => {
          for (const name of ['sensor1', 'sensor2', 'sensor3']) writeFileSync(path.join(space.dev, name), '');
          unlinkSync(path.join(space.dev, 'sensor0'));
        });
        await holdsExactly(agent, engine, sensors('sensor1', 'sensor2', 'sensor3'));
      },
      NO_RESYNC,
    ),
  );

  test(
    'an overflowed queue and no later event in the folder: the periodic resync repairs it',
    { skip: overflowSkip },
    () =>
      scene(
        (space) => {
          withNoiseFolder(space);
          writeFileSync(path.join(space.dev, 'sensor0'), '');
        },
        async ({ space, agent, engine }) => {
          await holdsExactly(agent, engine, sensors('sensor0'));
          overflowThen(engine, path.join(space.root, 'noise'), () => {
            writeFileSync(path.join(space.dev, 'sensor1'), '');
            unlinkSync(path.join(space.dev, 'sensor0'));
          });
          await holdsExactly(agent, engine, sensors('sensor1'));
        },
      ),
  );

  test(
    'a device removed before its folder was listed again, its removal lost: the next listing reports it gone',
    { skip: overflowSkip },
    () =>
      scene(
        (space) => withNoiseFolder(space),
        async ({ space, agent, engine }) => {
          // Registered, then stopped at once: the listing its event asked for (a tenth of a second
          // later) has most often not run yet. No listing had the file, and none after the stop
          // finds it: only what the engine made of the event says it was there.
          writeFileSync(path.join(space.dev, 'sensor1'), '');
          await waitFor('the registration', () => agent.peripherals.has('test-device:sensor1'));
          overflowThen(engine, path.join(space.root, 'noise'), () => unlinkSync(path.join(space.dev, 'sensor1')));
          await holdsExactly(agent, engine, []);
        },
        // Had the listing run before the stop, only the resync would list the folder again.
        'sources: { file: { resyncMs: 5000 } }\n',
      ),
  );

  test('a name that is not UTF-8 is refused with one warning, in the daemon and in engine list', () => {
    const badName = (folder: string, bytes: number[]) =>
      Buffer.concat([Buffer.from(`${folder}/sensor`), Buffer.from(bytes)]);
    return scene(
      (space) => {
        writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
        writeFileSync(path.join(space.dev, 'sensor1'), '');
        writeFileSync(badName(space.dev, [0xff]), '');
      },
      async ({ space, agent, engine }) => {
        writeFileSync(badName(space.dev, [0xfe, 0x32]), '');
        writeFileSync(path.join(space.dev, 'sensor2'), '');
        await holdsExactly(agent, engine, sensors('sensor1', 'sensor2'));
        const refused = (escaped: string) =>
          engine.logs.filter(
            (line) => line.msg === 'file name is not valid UTF-8; ignored' && line.path === `${space.dev}/${escaped}`,
          ).length;
        await waitFor('both names refused', () => refused('sensor\\xff') > 0 && refused('sensor\\xfe2') > 0);
        // Resyncs (every 300 ms) list the names again: still one warning each. A shorter wait
        // under load sees fewer resyncs, which cannot make this fail wrongly.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        assert.deepEqual([refused('sensor\\xff'), refused('sensor\\xfe2')], [1, 1]);
        const list = spawnSync(
          process.execPath,
          [CLI, 'list', '--profiles', space.profiles, '--config', space.config, '--state', space.state],
          { encoding: 'utf8' },
        );
        assert.equal(list.status, 0, list.stderr);
        assert.match(list.stdout, /sensor1/);
        assert.match(list.stderr, /file name is not valid UTF-8; ignored.*sensor\\\\xff/);
        assert.match(list.stderr, /sensor\\\\xfe2/);
      },
    );
  });

  test('a glob with an escaped wildcard watches the folder it names literally', () =>
    scene(
      (space) => {
        writeFileSync(
          path.join(space.profiles, 'sensor.yaml'),
          deviceProfile(space).replace(`"${space.dev}/sensor*"`, `"${space.dev}/a\\\\*b/sensor0"`),
        );
      },
      async ({ space, agent, engine }) => {
        mkdirSync(path.join(space.dev, 'a*b'));
        writeFileSync(path.join(space.dev, 'a*b', 'sensor0'), '');
        // A folder the glob does not name, though an unescaped star would match it.
        mkdirSync(path.join(space.dev, 'aXb'));
        writeFileSync(path.join(space.dev, 'aXb', 'sensor0'), '');
        await holdsExactly(agent, engine, sensors('sensor0'), 10_000);
        assert.equal(agent.peripherals.get('test-device:sensor0')?.['device-path'], `${space.dev}/a*b/sensor0`);
        const list = spawnSync(
          process.execPath,
          [CLI, 'list', '--profiles', space.profiles, '--config', space.config, '--state', space.state],
          { encoding: 'utf8' },
        );
        assert.match(list.stdout, /a\*b\/sensor0/);
      },
    ));
});
