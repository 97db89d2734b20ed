// A profile file added while the engine runs, with the name of the profile in use and a path
// that sorts first: the profile in use keeps being used (nothing is sent for it), the newcomer
// is reported with `duplicate-name` in /profiles, and the agent holds exactly the present set.
// Removing the file in use hands the name to the newcomer, whose mapping then reaches the agent.
import assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { deviceProfile, startEngine, waitFor, workspace, writeConfig } from './engine-process.js';

interface ProfilesBody {
  loaded: { name: string; file: string }[];
  files: { file: string; profile: string | null; issues: { code: string; severity: string }[] }[];
}

test('a duplicate profile name added while running never displaces the profile in use', async () => {
  const space = workspace();
  const agent = await startFakeAgent();
  writeConfig(space, agent.url);
  for (const device of ['sensor1', 'other1']) writeFileSync(path.join(space.dev, device), '');
  const inUse = path.join(space.profiles, 'z-sensor.yaml');
  writeFileSync(inUse, deviceProfile(space, { label: 'Original' }));
  const engine = await startEngine(space);
  const profiles = async () => (await engine.get('/profiles')).body as ProfilesBody;
  try {
    await waitFor('the registration', () => agent.peripherals.get('test-device:sensor1')?.name === 'Original sensor1');
    const newcomer = path.join(space.profiles, 'a-sensor.yaml');
    writeFileSync(newcomer, deviceProfile(space, { label: 'Newcomer' }));
    await waitFor('the newcomer to be reported', async () =>
      (await profiles()).files.some(
        (file) => file.file === newcomer && file.issues.some((issue) => issue.code === 'duplicate-name'),
      ),
    );
    // A profile added after the newcomer: once its device is registered, whatever the newcomer
    // would have caused has been sent too.
    writeFileSync(
      path.join(space.profiles, 'b-other.yaml'),
      deviceProfile(space, { name: 'other-device', prefix: 'other', label: 'Other' }),
    );
    await waitFor('the later profile to take effect', () => agent.peripherals.has('other-device:other1'));
    // /profiles may answer from a snapshot up to 100 ms old: wait for it to show the later profile.
    const loaded = (body: ProfilesBody) => body.loaded.map((entry) => `${entry.name} ${path.basename(entry.file)}`);
    await waitFor('/profiles to show the later profile', async () =>
      loaded(await profiles()).includes('other-device b-other.yaml'),
    );
    const body = await profiles();
    assert.deepEqual(loaded(body), ['other-device b-other.yaml', 'test-device z-sensor.yaml']);
    const newcomerState = body.files.find((file) => file.file === newcomer)!;
    assert.equal(newcomerState.profile, null, 'the newcomer is not in use');
    assert.deepEqual(
      newcomerState.issues.map((issue) => `${issue.severity} ${issue.code}`),
      ['error duplicate-name'],
    );
    assert.equal(agent.peripherals.get('test-device:sensor1')?.name, 'Original sensor1');
    assert.deepEqual(
      agent.requests.filter((request) => request.method === 'PUT'),
      [],
      'nothing re-sent',
    );
    assert.deepEqual([...agent.peripherals.keys()].sort(), ['other-device:other1', 'test-device:sensor1']);

    // The file in use goes: the newcomer, the only one left with the name, takes over.
    unlinkSync(inUse);
    await waitFor(
      'the newcomer to take over',
      () => agent.peripherals.get('test-device:sensor1')?.name === 'Newcomer sensor1',
    );
    assert.deepEqual([...agent.peripherals.keys()].sort(), ['other-device:other1', 'test-device:sensor1']);
    assert.equal(
      agent.requests.filter((request) => request.method === 'POST').length,
      2,
      'each device registered once',
    );
    assert.equal((await engine.get('/healthz')).status, 200);
    await waitFor(
      'no problem left in /profiles',
      async () => !(await profiles()).files.some((file) => file.issues.length > 0),
    );
  } finally {
    await engine.stop();
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
});
