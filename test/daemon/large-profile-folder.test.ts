// A daemon with a profiles folder large enough to be checked on helper threads as well as its
// own (check-in-parallel.ts): every profile takes effect whichever thread checked it, a broken
// one is reported with its place and the others keep working, and the agent holds exactly the
// devices present, each registered once, as devices come and go.
import assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PARALLEL_FROM } from '../../engine/profiles/check-in-parallel.js';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { deviceProfile, startEngine, waitFor, workspace, writeConfig } from './engine-process.js';

interface ProfilesBody {
  loaded: { name: string; file: string }[];
  files: { file: string; issues: { code: string; line: number; col: number }[] }[];
}

test('a large profiles folder: every profile works, a broken one is reported, the agent holds exactly the present set', async () => {
  const space = workspace();
  const agent = await startFakeAgent();
  writeConfig(space, agent.url);
  const count = PARALLEL_FROM + 150;
  const kinds = Array.from({ length: count }, (_, index) => `kind${String(index).padStart(4, '0')}`);
  for (const kind of kinds)
    writeFileSync(path.join(space.profiles, `${kind}.yaml`), deviceProfile(space, { name: kind, prefix: `${kind}-` }));
  const broken = path.join(space.profiles, 'kind0600-broken.yaml');
  writeFileSync(broken, 'name: broken\ndetect:\n  file: { path: [unclosed\n');
  // Devices of profiles all along the folder: early, late and between, whatever thread checks them.
  const present = kinds.filter((_, index) => index % 53 === 0 || index === count - 1);
  for (const kind of present) writeFileSync(path.join(space.dev, `${kind}-a`), '');
  const identifiers = (kindsPresent: string[]) => kindsPresent.map((kind) => `${kind}:${kind}-a`).sort();
  const engine = await startEngine(space);
  try {
    await waitFor('every present device registered', () => agent.peripherals.size === present.length, 60_000);
    assert.deepEqual([...agent.peripherals.keys()].sort(), identifiers(present));
    const body = (await engine.get('/profiles')).body as ProfilesBody;
    assert.equal(body.loaded.length, count);
    const brokenState = body.files.find((file) => file.file === broken);
    assert.deepEqual(
      [...new Set(brokenState?.issues.map((issue) => `${issue.code} ${issue.line}`))],
      ['yaml-syntax 3'],
      'the broken file, with its line',
    );

    const gone = present.filter((_, index) => index % 2 === 0);
    for (const kind of gone) unlinkSync(path.join(space.dev, `${kind}-a`));
    const left = present.filter((kind) => !gone.includes(kind));
    await waitFor('the removed devices deleted', () => agent.peripherals.size === left.length);
    assert.deepEqual([...agent.peripherals.keys()].sort(), identifiers(left));
    const requestsOf = (method: string) => agent.requests.filter((request) => request.method === method).length;
    assert.equal(requestsOf('POST'), present.length, 'each device registered once');
    assert.equal(requestsOf('DELETE'), gone.length, 'each removed device deleted once');
  } finally {
    await engine.stop();
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
});
