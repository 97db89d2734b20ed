// The reconciler never gives up and never does work the change does not call for: a change the
// backend refused for good is tried again (slowly), a delete does not wait for the backoff a
// failed create earned, a burst costs work in proportion to its size, and removing many devices
// at once deletes each exactly once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DesiredEntry } from '../../engine/reconcile/desired-state.js';
import { waitFor } from '../daemon/engine-process.js';
import { entry, reconciler, ScriptedBackend } from './scripted-backend.js';

/** A desired map that counts how often the reconciler looks a key up in it. */
class CountingMap extends Map<string, DesiredEntry> {
  lookups = 0;

  override get(key: string): DesiredEntry | undefined {
    this.lookups += 1;
    return super.get(key);
  }
}

const many = (count: number) =>
  new CountingMap(Array.from({ length: count }, (_, index) => entry(`d${index}`, { v: 1 })));

describe('reconciler convergence', () => {
  test('a change refused for good is tried again at the retry cap until it is taken, and /devices says why meanwhile', async () => {
    const backend = new ScriptedBackend();
    backend.answers = [
      { outcome: 'permanent', reason: 'HTTP 307 from a proxy' },
      { outcome: 'permanent', reason: 'HTTP 409: conflict' },
    ];
    const { instance } = reconciler(backend, undefined, { baseMs: 10, factor: 2, capMs: 200 });
    await instance.start();
    instance.setDesired(new Map([entry('a', { v: 1 })]));
    await waitFor('the refusal on the status', () => instance.status()[0]?.state === 'failed');
    assert.match(instance.status()[0]!.lastError!, /HTTP 307|HTTP 409/);
    assert.ok(instance.status()[0]!.nextAttemptAt, 'the status says when it is tried again');
    await waitFor('acknowledged after the refusals', () => instance.status()[0]?.state === 'acknowledged');
    assert.deepEqual(
      backend.changes.map((change) => change.op),
      ['create', 'create', 'create'],
    );
    await instance.stop();
  });

  test("a delete after a failed create is sent without waiting for the create's backoff", async () => {
    const backend = new ScriptedBackend();
    backend.answers = [{ outcome: 'retry', reason: 'HTTP 503', afterMs: 600_000 }];
    const { instance } = reconciler(backend, undefined, { baseMs: 600_000, factor: 2, capMs: 600_000 });
    await instance.start();
    instance.allowDeletes();
    instance.setDesired(new Map([entry('a', { v: 1 })]));
    await waitFor('the failed create', () => instance.status()[0]?.state === 'retrying');
    instance.setDesired(new Map());
    await waitFor('the delete', () => backend.changes.length === 2);
    assert.deepEqual(
      backend.changes.map((change) => change.op),
      ['create', 'delete'],
    );
    await waitFor('nothing held', () => instance.status().length === 0);
    await instance.stop();
  });

  test('a burst costs work in proportion to its size: each delivery re-plans its own key, not every key', async () => {
    const backend = new ScriptedBackend();
    const { instance } = reconciler(backend);
    await instance.start();
    instance.allowDeletes();
    const desired = many(400);
    instance.setDesired(desired);
    // settled() is a pass over every key by design: its own look-ups are not the deliveries' work.
    let polling = 0;
    const settled = () => {
      const before = desired.lookups;
      const done = instance.settled();
      polling += desired.lookups - before;
      return done;
    };
    await waitFor('all acknowledged', () => backend.changes.length === 400 && settled(), 30_000);
    // Re-deriving every key after every delivery looked each of 400 keys up 400 times.
    const work = desired.lookups - polling;
    assert.ok(work < 10 * 400, `${work} look-ups for 400 deliveries`);
    await instance.stop();
  });

  test('many devices removed at once, one by one or all together, while deletes are under way: each deleted exactly once', async () => {
    const backend = new ScriptedBackend();
    const { instance, stateDir } = reconciler(backend);
    await instance.start();
    instance.allowDeletes();
    const desired = many(300);
    instance.setDesired(desired);
    await waitFor('all registered', () => instance.settled() && backend.changes.length === 300, 30_000);
    backend.delayMs = 2;
    // Half leave one at a time, each removal seen while earlier deletes are in flight...
    const left = new Map(desired);
    for (let index = 0; index < 150; index += 1) {
      left.delete(entry(`d${index}`, {})[0]);
      instance.setDesired(new Map(left));
      if (index % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // ...then the rest at once, and the engine restarts half-way through the deletes.
    instance.setDesired(new Map());
    await waitFor('some deletes', () => backend.changes.filter((change) => change.op === 'delete').length >= 200);
    await instance.stop();
    const again = reconciler(backend, stateDir);
    await again.instance.start();
    again.instance.allowDeletes();
    again.instance.setDesired(new Map());
    await waitFor('nothing held', () => again.instance.settled() && again.instance.status().length === 0, 30_000);
    const deletes = backend.changes.filter((change) => change.op === 'delete').map((change) => change.identifier);
    const twice = deletes.filter((identifier, index) => deletes.indexOf(identifier) !== index);
    assert.deepEqual(twice, [], 'no identifier deleted twice');
    assert.equal(deletes.length, 300);
    await again.instance.stop();
  });
});
