// Profile edits while the engine runs: adding, editing, deleting and breaking a profile file.
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import {
  deviceProfile,
  startEngine,
  waitFor,
  workspace,
  writeConfig,
  type EngineProcess,
  type Workspace,
} from './engine-process.js';

interface Scene {
  space: Workspace;
  agent: FakeAgent;
  engine: EngineProcess;
  profile: string;
}

async function scene(run: (scene: Scene) => Promise<void>): Promise<void> {
  const space = workspace();
  const agent = await startFakeAgent();
  writeConfig(space, agent.url);
  writeFileSync(path.join(space.dev, 'sensor1'), '');
  const engine = await startEngine(space);
  try {
    await run({ space, agent, engine, profile: path.join(space.profiles, 'sensor.yaml') });
  } finally {
    await engine.stop();
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

const within = (what: string, condition: () => boolean) => waitFor(what, condition);

describe('hot reload of profiles', () => {
  test('adding a profile registers the devices present that it matches', () =>
    scene(async ({ space, agent, profile }) => {
      assert.equal(agent.peripherals.size, 0);
      const started = Date.now();
      writeFileSync(profile, deviceProfile(space));
      await within('the registration', () => agent.peripherals.has('test-device:sensor1'));
      // The issue's bar is one second from the edit to the backend request.
      console.log(`add-profile-to-POST: ${Date.now() - started} ms`);
    }));

  test('editing the mapping sends a PUT with the new document', () =>
    scene(async ({ space, agent, profile }) => {
      writeFileSync(profile, deviceProfile(space));
      await within('the registration', () => agent.peripherals.has('test-device:sensor1'));
      writeFileSync(profile, deviceProfile(space, { label: 'Renamed sensor' }));
      await within('the update', () => agent.peripherals.get('test-device:sensor1')?.name === 'Renamed sensor sensor1');
      const puts = agent.requests.filter((request) => request.method === 'PUT');
      assert.equal(puts.length, 1);
      assert.equal((puts[0]!.body as { name: string }).name, 'Renamed sensor sensor1');
      assert.equal(agent.requests.filter((request) => request.method === 'POST').length, 1);
    }));

  test('deleting the profile deregisters its devices', () =>
    scene(async ({ space, agent, profile }) => {
      writeFileSync(profile, deviceProfile(space));
      await within('the registration', () => agent.peripherals.has('test-device:sensor1'));
      unlinkSync(profile);
      await within('the deregistration', () => agent.peripherals.size === 0);
    }));

  test('a broken edit is reported and the last good version keeps working', () =>
    scene(async ({ space, agent, engine, profile }) => {
      writeFileSync(profile, deviceProfile(space));
      await within('the registration', () => agent.peripherals.has('test-device:sensor1'));
      writeFileSync(profile, `${deviceProfile(space)}  - { backend: [broken\n`);
      await within('the problem to be reported', () =>
        engine.logs.some((line) => line.msg === 'profile file is broken; its last good version stays in use'),
      );
      const profiles = (await engine.get('/profiles')).body as {
        loaded: { name: string }[];
        files: { keptLastGood: boolean; issues: { code: string }[] }[];
      };
      assert.deepEqual(
        profiles.loaded.map((entry) => entry.name),
        ['test-device'],
      );
      assert.equal(profiles.files[0]!.keptLastGood, true);
      assert.equal(profiles.files[0]!.issues[0]!.code, 'yaml-syntax');
      // The device is still served by the last good version: a new one is registered too.
      writeFileSync(path.join(space.dev, 'sensor2'), '');
      await within('the second registration', () => agent.peripherals.has('test-device:sensor2'));
      assert.equal(agent.requests.filter((request) => request.method === 'DELETE').length, 0);
    }));

  test('a profile watching a new glob starts watching it', () =>
    scene(async ({ space, agent, profile }) => {
      writeFileSync(profile, deviceProfile(space, { prefix: 'camera', name: 'camera' }));
      writeFileSync(path.join(space.dev, 'camera0'), '');
      await within('the camera', () => agent.peripherals.has('camera:camera0'));
      assert.ok(!agent.peripherals.has('camera:sensor1'));
    }));

  test('a Kubernetes ConfigMap update (a `..data` swap) reloads the changed profile once, with no duplicate-name', () =>
    scene(async ({ space, agent, engine }) => {
      // The layout of a ConfigMap volume: the data in a timestamped dot-folder, `..data` linking to
      // it, and each key a link through `..data`.
      const publish = (version: string, label: string) => {
        mkdirSync(path.join(space.profiles, version));
        writeFileSync(path.join(space.profiles, version, 'sensor.yaml'), deviceProfile(space, { label }));
        symlinkSync(version, path.join(space.profiles, '..data_tmp'));
        renameSync(path.join(space.profiles, '..data_tmp'), path.join(space.profiles, '..data'));
      };
      publish('..2026_01_01_00_00_00.1', 'First');
      symlinkSync('..data/sensor.yaml', path.join(space.profiles, 'sensor.yaml'));
      await within('the registration', () => agent.peripherals.get('test-device:sensor1')?.name === 'First sensor1');
      await within('the first reload to be logged', () =>
        engine.logs.some((line) => line.msg === 'profile file reloaded'),
      );
      const before = engine.logs.length;
      publish('..2026_01_01_00_01_00.2', 'Second');
      rmSync(path.join(space.profiles, '..2026_01_01_00_00_00.1'), { recursive: true });
      await within('the update', () => agent.peripherals.get('test-device:sensor1')?.name === 'Second sensor1');
      await within('the reload to be logged', () =>
        engine.logs.slice(before).some((line) => line.msg === 'profile file reloaded'),
      );
      const reloads = engine.logs.slice(before).filter((line) => line.msg === 'profile file reloaded');
      assert.deepEqual(
        reloads.map((line) => line.file),
        [path.join(space.profiles, 'sensor.yaml')],
      );
      assert.ok(
        !engine.logs.some((line) => line.code === 'duplicate-name'),
        JSON.stringify(engine.logs.filter((line) => line.level !== 'info')),
      );
      const profiles = (await engine.get('/profiles')).body as { files: { file: string }[] };
      assert.deepEqual(
        profiles.files.map((entry) => path.basename(entry.file)),
        ['sensor.yaml'],
      );
    }));

  test('a sub-folder made while running is watched: its profiles load, and go when it is removed', () =>
    scene(async ({ space, agent, engine }) => {
      // The folder and its file appear together, before any watch on the folder can exist.
      const staged = path.join(space.root, 'staged');
      mkdirSync(path.join(staged, 'deeper'), { recursive: true });
      writeFileSync(path.join(staged, 'deeper', 'sensor.yaml'), deviceProfile(space));
      renameSync(staged, path.join(space.profiles, 'site'));
      await within('the registration', () => agent.peripherals.has('test-device:sensor1'));
      // A file written later in the new folder is seen by the folder's own watch.
      writeFileSync(
        path.join(space.profiles, 'site', 'deeper', 'sensor.yaml'),
        deviceProfile(space, { label: 'Edited' }),
      );
      await within('the edit', () => agent.peripherals.get('test-device:sensor1')?.name === 'Edited sensor1');
      rmSync(path.join(space.profiles, 'site'), { recursive: true });
      await within('the deregistration', () => agent.peripherals.size === 0);
      const profiles = (await engine.get('/profiles')).body as { files: unknown[] };
      assert.deepEqual(profiles.files, []);
    }));

  test('a linked folder is watched as it is loaded: an edit behind the link reloads, a link back up adds nothing, removing the link deregisters', () => {
    const space = workspace();
    return (async () => {
      const agent = await startFakeAgent();
      writeConfig(space, agent.url);
      writeFileSync(path.join(space.dev, 'sensor1'), '');
      const vendor = path.join(space.root, 'vendor');
      mkdirSync(vendor);
      writeFileSync(path.join(vendor, 'sensor.yaml'), deviceProfile(space));
      symlinkSync(vendor, path.join(space.profiles, 'vendor'));
      const engine = await startEngine(space);
      try {
        await within('the registration', () => agent.peripherals.has('test-device:sensor1'));
        // Before, the link was followed at start-up only: this edit was never seen.
        writeFileSync(path.join(vendor, 'sensor.yaml'), deviceProfile(space, { label: 'Edited' }));
        await within('the edit', () => agent.peripherals.get('test-device:sensor1')?.name === 'Edited sensor1');
        // A link back up to the profiles folder is not walked again: no second copy of any file.
        symlinkSync(space.profiles, path.join(vendor, 'back'));
        writeFileSync(path.join(vendor, 'sensor.yaml'), deviceProfile(space, { label: 'Again' }));
        await within('the second edit', () => agent.peripherals.get('test-device:sensor1')?.name === 'Again sensor1');
        const profiles = (await engine.get('/profiles')).body as { files: { file: string; issues: unknown[] }[] };
        assert.deepEqual(
          profiles.files.map((entry) => [path.relative(space.profiles, entry.file), entry.issues]),
          [[path.join('vendor', 'sensor.yaml'), []]],
        );
        unlinkSync(path.join(space.profiles, 'vendor'));
        await within('the deregistration', () => agent.peripherals.size === 0);
      } finally {
        await engine.stop();
        await agent.close();
        rmSync(space.root, { recursive: true, force: true });
      }
    })();
  });

  test("an editor's save through a temporary file renamed over the profile is one reload", () =>
    scene(async ({ space, agent, profile }) => {
      writeFileSync(profile, deviceProfile(space));
      await within('the registration', () => agent.peripherals.has('test-device:sensor1'));
      const temporary = path.join(space.profiles, '.sensor.yaml.tmp');
      writeFileSync(temporary, deviceProfile(space, { label: 'Saved' }));
      renameSync(temporary, profile);
      await within('the update', () => agent.peripherals.get('test-device:sensor1')?.name === 'Saved sensor1');
      assert.equal(agent.requests.filter((request) => request.method === 'DELETE').length, 0);
    }));

  test("editors' swap and backup files and hidden folders are not profiles", () =>
    scene(async ({ space, agent, engine, profile }) => {
      writeFileSync(profile, deviceProfile(space));
      await within('the registration', () => agent.peripherals.has('test-device:sensor1'));
      writeFileSync(path.join(space.profiles, '.sensor.yaml.swp'), deviceProfile(space));
      writeFileSync(path.join(space.profiles, 'sensor.yaml~'), deviceProfile(space));
      writeFileSync(path.join(space.profiles, '.#sensor.yaml'), deviceProfile(space));
      mkdirSync(path.join(space.profiles, '.git'));
      writeFileSync(path.join(space.profiles, '.git', 'copy.yaml'), deviceProfile(space));
      // A marker edit after them: once it is seen, the others had their chance.
      writeFileSync(profile, deviceProfile(space, { label: 'Edited' }));
      await within('the edit', () => agent.peripherals.get('test-device:sensor1')?.name === 'Edited sensor1');
      const profiles = (await engine.get('/profiles')).body as { files: { file: string }[] };
      assert.deepEqual(
        profiles.files.map((entry) => entry.file),
        [profile],
      );
      assert.ok(!engine.logs.some((line) => line.code === 'duplicate-name'));
    }));

  test('a profile edited into an alias cycle or an alias bomb is a positioned issue; the last good version stays', () =>
    scene(async ({ space, agent, engine, profile }) => {
      writeFileSync(profile, deviceProfile(space));
      await within('the registration', () => agent.peripherals.has('test-device:sensor1'));
      writeFileSync(profile, deviceProfile(space).replace('classes: [sensor]', 'classes: &a [sensor, *a]'));
      await within('the cycle to be reported', () =>
        engine.logs.some(
          (line) => line.msg === 'profile problem' && /inside the node it names/.test(String(line.message)),
        ),
      );
      const bomb = [
        'a: &a [x, x, x, x, x, x, x, x, x]',
        ...'bcdefg'
          .split('')
          .map((level, index) => `${level}: &${level} [${Array(9).fill(`*${'abcdef'[index]}`).join(', ')}]`),
      ];
      writeFileSync(profile, `${deviceProfile(space)}${bomb.join('\n')}\n`);
      await within('the bomb to be reported', () =>
        engine.logs.some(
          (line) => line.msg === 'profile problem' && /alias/.test(String(line.message)) && line.line !== undefined,
        ),
      );
      writeFileSync(path.join(space.dev, 'sensor2'), '');
      await within('the last good version to register a new device', () =>
        agent.peripherals.has('test-device:sensor2'),
      );
      assert.equal((await engine.get('/healthz')).status, 200);
    }));

  test('a FIFO, a link to /dev/zero, a file over 1 MiB and a link loop in the profiles folder neither hang nor crash start-up', () => {
    const space = workspace();
    return (async () => {
      const agent = await startFakeAgent();
      writeConfig(space, agent.url);
      writeFileSync(path.join(space.dev, 'sensor1'), '');
      writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
      assert.equal(spawnSync('mkfifo', [path.join(space.profiles, 'x.yaml')]).status, 0);
      symlinkSync('/dev/zero', path.join(space.profiles, 'zero.yaml'));
      symlinkSync('.', path.join(space.profiles, 'loop'));
      writeFileSync(path.join(space.profiles, 'huge.yaml'), `# ${'x'.repeat(1024 * 1024)}\nname: huge\n`);
      const engine = await startEngine(space);
      try {
        await within('the registration', () => agent.peripherals.has('test-device:sensor1'));
        const profiles = (await engine.get('/profiles')).body as {
          loaded: { name: string }[];
          files: { file: string; issues: { code: string }[] }[];
        };
        assert.deepEqual(
          profiles.loaded.map((entry) => entry.name),
          ['test-device'],
        );
        const codes = Object.fromEntries(
          profiles.files.map((entry) => [path.basename(entry.file), entry.issues.map((issue) => issue.code)]),
        );
        assert.deepEqual(codes, { 'huge.yaml': ['file-too-large'], 'sensor.yaml': [] });
      } finally {
        await engine.stop();
        await agent.close();
        rmSync(space.root, { recursive: true, force: true });
      }
    })();
  });

  test('a profile written while the engine reads the folder at start-up loads once it is ready, and registers its device', async () => {
    const space = workspace();
    const agent = await startFakeAgent();
    writeConfig(space, agent.url);
    // Enough files that reading them outlasts the test's answer to the engine's line below.
    const count = 1500;
    for (let index = 0; index < count; index++)
      writeFileSync(
        path.join(space.profiles, `kind${index}.yaml`),
        deviceProfile(space, { name: `kind${index}`, prefix: `kind${index}-` }),
      );
    writeFileSync(path.join(space.dev, 'late1'), '');
    let written = false;
    // Written once the engine has listed the folder and is reading it: the listing cannot see it.
    const engine = await startEngine(space, [], undefined, (line) => {
      if (line.msg !== 'profile files listed; reading them' || written) return;
      written = true;
      writeFileSync(path.join(space.profiles, 'late.yaml'), deviceProfile(space, { name: 'late', prefix: 'late' }));
    });
    try {
      assert.ok(written);
      await within('the late profile loaded and its device registered', () => agent.peripherals.has('late:late1'));
      const profiles = (await engine.get('/profiles')).body as { loaded: { name: string }[] };
      assert.equal(profiles.loaded.length, count + 1);
      assert.deepEqual([...agent.peripherals.keys()], ['late:late1']);
    } finally {
      await engine.stop();
      await agent.close();
      rmSync(space.root, { recursive: true, force: true });
    }
  });
});
