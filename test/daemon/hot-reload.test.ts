// Profile edits while the engine runs: adding, editing, deleting and breaking a profile file.
import assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { deviceProfile, startEngine, waitFor, workspace, writeConfig, type EngineProcess, type Workspace } from './engine-process.js';

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

const within = (what: string, condition: () => boolean) => waitFor(what, condition, 3000);

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
      await within('the problem to be reported', () => engine.logs.some((line) => line.msg === 'profile file is broken; its last good version stays in use'));
      const profiles = (await engine.get('/profiles')).body as { loaded: { name: string }[]; files: { keptLastGood: boolean; issues: { code: string }[] }[] };
      assert.deepEqual(profiles.loaded.map((entry) => entry.name), ['test-device']);
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
});
