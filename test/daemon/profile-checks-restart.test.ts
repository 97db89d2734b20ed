// A restart reuses the profile checks of the last start (engine/profiles/check-cache.ts) for the
// texts it has checked before: a profile edited while the engine was down takes effect, one
// broken meanwhile is reported with its place, and the agent ends holding exactly the present
// set, each device registered once.
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CHECK_CACHE_FILE } from '../../engine/profiles/check-cache.js';
import { PARALLEL_FROM } from '../../engine/profiles/check-in-parallel.js';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { deviceProfile, startEngine, waitFor, workspace, writeConfig, type EngineProcess } from './engine-process.js';

interface ProfilesBody {
  loaded: { name: string; file: string }[];
  files: { file: string; issues: { code: string; line: number }[] }[];
}

const readyLine = (engine: EngineProcess) => engine.logs.find((line) => line.msg === 'engine ready')!;

test('a restart checks only the profiles changed meanwhile, and they take effect', async () => {
  const space = workspace();
  const agent = await startFakeAgent();
  writeConfig(space, agent.url);
  // Enough files for the first start to check on helper threads too.
  const count = PARALLEL_FROM + 50;
  const kinds = Array.from({ length: count }, (_, index) => `kind${String(index).padStart(4, '0')}`);
  const profileOf = (kind: string, label = 'Test sensor') =>
    deviceProfile(space, { name: kind, prefix: `${kind}-`, label });
  for (const kind of kinds) writeFileSync(path.join(space.profiles, `${kind}.yaml`), profileOf(kind));
  const present = [kinds[0]!, kinds[500]!, kinds[count - 1]!];
  for (const kind of present) writeFileSync(path.join(space.dev, `${kind}-a`), '');
  let engine: EngineProcess | undefined;
  try {
    engine = await startEngine(space);
    await waitFor('the present devices registered', () => agent.peripherals.size === present.length, 60_000);
    assert.deepEqual([readyLine(engine).checked, readyLine(engine).reused], [count, 0]);
    assert.equal(await engine.stop(), 0);
    assert.ok(existsSync(path.join(space.state, CHECK_CACHE_FILE)), 'the checks are kept in the state folder');

    // While the engine is down: one profile edited, another broken.
    writeFileSync(path.join(space.profiles, 'kind0500.yaml'), profileOf('kind0500', 'Edited sensor'));
    const broken = path.join(space.profiles, 'kind0700.yaml');
    writeFileSync(broken, 'name: kind0700\ndetect:\n  file: { path: [unclosed\n');

    engine = await startEngine(space);
    assert.deepEqual([readyLine(engine).checked, readyLine(engine).reused], [2, count - 2]);
    await waitFor(
      'the edited profile in effect',
      () => agent.peripherals.get('kind0500:kind0500-a')?.name === 'Edited sensor kind0500-a',
    );
    const body = (await engine.get('/profiles')).body as ProfilesBody;
    assert.equal(body.loaded.length, count - 1);
    assert.deepEqual(
      [
        ...new Set(
          body.files.find((file) => file.file === broken)?.issues.map((issue) => `${issue.code} ${issue.line}`),
        ),
      ],
      ['yaml-syntax 3'],
    );
    assert.deepEqual([...agent.peripherals.keys()].sort(), present.map((kind) => `${kind}:${kind}-a`).sort());
    const requestsOf = (method: string) => agent.requests.filter((request) => request.method === method).length;
    assert.deepEqual([requestsOf('POST'), requestsOf('PUT'), requestsOf('DELETE')], [present.length, 1, 0]);
    assert.equal(await engine.stop(), 0);
  } finally {
    await engine?.kill().catch(() => undefined);
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
});
