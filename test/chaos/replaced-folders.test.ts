// Chaos: watched folders replaced under the engine, and a profile that is a link to a file
// elsewhere. inotify watches an inode, not a path: a folder removed and made again, or renamed
// over, leaves its watch on nothing (or on the old folder). The engine must notice, watch the new
// folder, and the backend end with exactly the present set, nothing registered twice, the daemon
// answering. No resync runs within these tests: events alone must do it.
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { deviceProfile, waitFor } from '../daemon/engine-process.js';
import { holdsExactly, NO_RESYNC, scene } from './converged.js';

const sensors = (...names: string[]) => names.map((name) => `test-device:${name}`);

describe('watched folders replaced', () => {
  test('sub-folders removed and made again at once, then a file in each, are seen (profiles and devices)', () =>
    scene(
      (space) => {
        mkdirSync(path.join(space.dev, 'sub'));
        mkdirSync(path.join(space.profiles, 'sub'));
        writeFileSync(path.join(space.profiles, 'sub', 'sensor.yaml'), deviceProfile(space, { prefix: 'sub/sensor' }));
        writeFileSync(path.join(space.dev, 'sub', 'sensor0'), '');
      },
      async ({ space, agent, engine }) => {
        await holdsExactly(agent, engine, sensors('sensor0'));
        const [profiles, devices] = [path.join(space.profiles, 'sub'), path.join(space.dev, 'sub')];
        for (let round = 1; round <= 3; round++) {
          for (const sub of [profiles, devices]) {
            rmSync(sub, { recursive: true });
            mkdirSync(sub);
          }
          // The files come once the engine has seen them go: into folders it must watch anew.
          await holdsExactly(agent, engine, []);
          const label = `Round ${round}`;
          writeFileSync(path.join(profiles, 'sensor.yaml'), deviceProfile(space, { prefix: 'sub/sensor', label }));
          writeFileSync(path.join(devices, `sensor${round}`), '');
          await waitFor(
            label,
            () => agent.peripherals.get(`test-device:sensor${round}`)?.name === `${label} sensor${round}`,
          );
          await holdsExactly(agent, engine, sensors(`sensor${round}`));
        }
      },
      NO_RESYNC,
    ));

  test('the profiles folder removed and made again: profiles written in it are loaded', () =>
    scene(
      (space) => {
        writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
        writeFileSync(path.join(space.dev, 'sensor1'), '');
      },
      async ({ space, agent, engine }) => {
        await holdsExactly(agent, engine, sensors('sensor1'));
        rmSync(space.profiles, { recursive: true });
        await holdsExactly(agent, engine, []);
        mkdirSync(space.profiles);
        writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space, { label: 'Again' }));
        await holdsExactly(agent, engine, sensors('sensor1'));
        // And edits after that are seen too: the new folder is watched.
        writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space, { label: 'Edited' }));
        await waitFor('the edit', () => agent.peripherals.get('test-device:sensor1')?.name === 'Edited sensor1');
        assert.ok(engine.logs.some((line) => line.msg === 'watched folder changed' && line.folder === space.profiles));
        await holdsExactly(agent, engine, sensors('sensor1'));
      },
      NO_RESYNC,
    ));

  test('the profiles folder replaced by a rename: the new folder is loaded and watched, the old one no more', () =>
    scene(
      (space) => {
        writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
        writeFileSync(path.join(space.dev, 'sensor1'), '');
        writeFileSync(path.join(space.dev, 'probe1'), '');
      },
      async ({ space, agent, engine }) => {
        await holdsExactly(agent, engine, sensors('sensor1'));
        const next = `${space.profiles}.new`;
        mkdirSync(next);
        writeFileSync(path.join(next, 'probe.yaml'), deviceProfile(space, { name: 'probe', prefix: 'probe' }));
        renameSync(space.profiles, `${space.profiles}.old`);
        renameSync(next, space.profiles);
        await holdsExactly(agent, engine, ['probe:probe1']);
        writeFileSync(
          path.join(space.profiles, 'probe.yaml'),
          deviceProfile(space, { name: 'probe', prefix: 'probe', label: 'Edited' }),
        );
        // The old folder, still on disk, is no longer the profiles folder.
        writeFileSync(path.join(`${space.profiles}.old`, 'sensor.yaml'), deviceProfile(space, { label: 'Old' }));
        await waitFor('the edit', () => agent.peripherals.get('probe:probe1')?.name === 'Edited probe1');
        await holdsExactly(agent, engine, ['probe:probe1']);
      },
      NO_RESYNC,
    ));

  test('a profile that is a link to a file elsewhere: editing the target is reloaded', () =>
    scene(
      (space) => {
        mkdirSync(path.join(space.root, 'elsewhere'));
        writeFileSync(path.join(space.root, 'elsewhere', 'sensor.yaml'), deviceProfile(space));
        symlinkSync(path.join(space.root, 'elsewhere', 'sensor.yaml'), path.join(space.profiles, 'sensor.yaml'));
        writeFileSync(path.join(space.dev, 'sensor1'), '');
      },
      async ({ space, agent, engine }) => {
        await holdsExactly(agent, engine, sensors('sensor1'));
        writeFileSync(path.join(space.root, 'elsewhere', 'sensor.yaml'), deviceProfile(space, { label: 'Edited' }));
        await waitFor('the edit', () => agent.peripherals.get('test-device:sensor1')?.name === 'Edited sensor1');
        // The link pointed at another file: that one is followed from then on.
        writeFileSync(path.join(space.root, 'elsewhere', 'other.yaml'), deviceProfile(space, { label: 'Other' }));
        rmSync(path.join(space.profiles, 'sensor.yaml'));
        symlinkSync(path.join(space.root, 'elsewhere', 'other.yaml'), path.join(space.profiles, 'sensor.yaml'));
        await waitFor('the new target', () => agent.peripherals.get('test-device:sensor1')?.name === 'Other sensor1');
        writeFileSync(path.join(space.root, 'elsewhere', 'other.yaml'), deviceProfile(space, { label: 'Last' }));
        await waitFor('the last edit', () => agent.peripherals.get('test-device:sensor1')?.name === 'Last sensor1');
        await holdsExactly(agent, engine, sensors('sensor1'));
      },
      NO_RESYNC,
    ));
});
