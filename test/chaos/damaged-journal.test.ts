// A state journal whose head was damaged while the engine was down (a disk that lost a block, a
// hand edit): the real engine reads what it can of it, says so with an error line and sets the
// file aside, and never takes its own registrations for someone else's: devices removed while it
// was down are deleted, and those still present are not registered again.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { JOURNAL_FILE } from '../../engine/reconcile/state-store.js';
import { startMisbehavingBackend } from '../fakes/misbehaving-backend.js';
import { deviceProfile, startEngine, waitFor, workspace, writeConfig } from '../daemon/engine-process.js';

test('chaos: a damaged journal head is read as far as it can be, set aside with an error, and removals made while down are deleted', async () => {
  const space = workspace();
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
  const backend = await startMisbehavingBackend();
  writeConfig(space, backend.url);
  let engine = await startEngine(space);
  try {
    for (const name of ['sensor1', 'sensor2', 'sensor3']) writeFileSync(path.join(space.dev, name), '');
    const ours = () => [...backend.peripherals.keys()].sort().join();
    await waitFor('all registered', () => ours() === 'test-device:sensor1,test-device:sensor2,test-device:sensor3');
    // Killed: the journal stays as it is, nothing folded into a snapshot on the way out.
    await engine.kill();
    const journal = path.join(space.state, JOURNAL_FILE);
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[0] = '\u0000\u0000garbage{"gen';
    writeFileSync(journal, lines.join('\n'));
    unlinkSync(path.join(space.dev, 'sensor1'));
    unlinkSync(path.join(space.dev, 'sensor2'));

    engine = await startEngine(space);
    await waitFor('the removals made while down deleted', () => ours() === 'test-device:sensor3', 30_000);
    const said = engine.logs.find((line) => /state journal damaged/.test(line.msg));
    assert.ok(said, 'an error line says the journal was damaged');
    assert.equal(said.level, 'error');
    await waitFor('the damaged journal set aside', () =>
      readdirSync(space.state).some((name) => name.startsWith(`${JOURNAL_FILE}.corrupt-`)),
    );
    assert.deepEqual(backend.registrations.slice().sort(), [
      'test-device:sensor1',
      'test-device:sensor2',
      'test-device:sensor3',
    ]);
    assert.ok(
      !engine.logs.some((line) => /someone else/.test(String(line.msg))),
      'no registration of its own taken for someone else',
    );
    assert.equal((await engine.get('/healthz')).status, 200);
    assert.equal(await engine.stop(), 0);
  } finally {
    await engine.kill().catch(() => undefined);
    await backend.close();
    rmSync(space.root, { recursive: true, force: true });
  }
});
