// Layered profiles folders in a running engine: a vendor catalogue (--profiles vendor) and a site
// folder after it (--profiles site), real files, the file source and the fake NuvlaBox agent.
// A site profile replaces the vendor's of the same name at start-up; at runtime a mask (an empty
// file, then `mask: true`) takes its profile's devices off the agent, and removing the mask or the
// site override brings the vendor's profile back. The agent holds exactly the present set at every
// step, each device once (the agent answers a second POST of one identifier with 400).
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { deviceProfile, startEngine, waitFor, workspace, writeConfig, type LogLine } from './engine-process.js';

interface ProfilesBody {
  loaded: { name: string; file: string }[];
  files: { file: string; profile: string | null; replacedBy?: string; masks?: string }[];
}

test('a site folder overrides and masks the vendor folder, at start-up and while running', async () => {
  const space = workspace();
  const site = path.join(space.root, 'site');
  mkdirSync(site);
  const agent = await startFakeAgent();
  writeConfig(space, agent.url);
  for (const device of ['sensor1', 'other1']) writeFileSync(path.join(space.dev, device), '');
  const other = { name: 'other-device', prefix: 'other' };
  writeFileSync(path.join(space.profiles, 'test-device.yaml'), deviceProfile(space, { label: 'Vendor' }));
  writeFileSync(path.join(space.profiles, 'other-device.yaml'), deviceProfile(space, { ...other, label: 'Vendor' }));
  const override = path.join(site, 'test-device.yaml');
  writeFileSync(override, deviceProfile(space, { label: 'Site' }));
  const engine = await startEngine(space, ['--profiles', site]);
  const names = () => Object.fromEntries([...agent.peripherals].map(([id, document]) => [id, document.name]));
  // Generous bounds: under load a reload and a delivery can take seconds; the waits end as soon as they hold.
  const until = (what: string, condition: () => boolean | Promise<boolean>) => waitFor(what, condition, 30_000);
  const posts = (id: string) =>
    agent.requests.filter((request) => request.method === 'POST' && JSON.stringify(request.body).includes(id));
  try {
    await until('the start-up registrations', () => agent.peripherals.size === 2);
    assert.deepEqual(names(), { 'test-device:sensor1': 'Site sensor1', 'other-device:other1': 'Vendor other1' });
    const profiles = (await engine.get('/profiles')).body as ProfilesBody;
    const vendorFile = profiles.files.find((file) => file.file.endsWith('profiles/test-device.yaml'))!;
    assert.equal(vendorFile.profile, null);
    assert.equal(vendorFile.replacedBy, override);

    // An empty file in the site folder masks the vendor's other-device: its device goes.
    const mask = path.join(site, 'other-device.yaml');
    writeFileSync(mask, '');
    await until('the masked device to be deleted', () => !agent.peripherals.has('other-device:other1'));
    assert.deepEqual(names(), { 'test-device:sensor1': 'Site sensor1' });

    // The mask removed: the vendor's profile is back, and so is its device.
    unlinkSync(mask);
    await until('the unmasked device to come back', () => agent.peripherals.has('other-device:other1'));

    // The site override removed: the vendor's profile takes over the same device (an update).
    unlinkSync(override);
    await until('the vendor profile to take over', () => names()['test-device:sensor1'] === 'Vendor sensor1');
    assert.equal(posts('test-device:sensor1').length, 1, 'the device was registered once');

    // `mask: true` in the site folder (any file name, with `name`) masks test-device.
    writeFileSync(path.join(site, 'no-sensors.yaml'), 'mask: true\nname: test-device\n');
    await until('the masked device to be deleted', () => !agent.peripherals.has('test-device:sensor1'));
    assert.deepEqual(names(), { 'other-device:other1': 'Vendor other1' });
    await until('/profiles to show the mask', async () =>
      ((await engine.get('/profiles')).body as ProfilesBody).files.some((file) => file.masks === 'test-device'),
    );

    // SIGHUP reads both folders.
    process.kill(engine.pid, 'SIGHUP');
    const reloaded = (line: LogLine) => line.msg === 'profiles folder reloaded';
    await until('the reload', () => engine.logs.some(reloaded));
    assert.equal(engine.logs.find(reloaded)!.files, 3);

    assert.deepEqual(
      agent.requests.filter((request) => request.status >= 400),
      [],
      'no request refused (nothing registered twice)',
    );
    assert.equal((await engine.get('/healthz')).status, 200);
  } finally {
    await engine.stop();
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
});
