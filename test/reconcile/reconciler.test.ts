import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { ApplyResult, Backend } from '../../engine/backends/backend.js';
import { createLogger } from '../../engine/core/log.js';
import { entryKey, type DesiredEntry } from '../../engine/reconcile/desired-state.js';
import { Reconciler } from '../../engine/reconcile/reconciler.js';
import { JOURNAL_FILE, readSavedState, type HeldEntry } from '../../engine/reconcile/state-store.js';
import { waitFor } from '../daemon/engine-process.js';
import { entry, quiet, reconciler, ScriptedBackend } from './scripted-backend.js';

const ops = (backend: ScriptedBackend) =>
  backend.changes.map((change) => `${change.op} ${change.identifier} ${JSON.stringify(change.payload.v ?? null)}`);

describe('reconciler', () => {
  test('flapping coalesces: only the latest desired state is sent after an in-flight change', async () => {
    const backend = new ScriptedBackend();
    backend.delayMs = 50;
    const { instance } = reconciler(backend);
    await instance.start();
    instance.allowDeletes();
    instance.setDesired(new Map([entry('a', { v: 1 })]));
    instance.setDesired(new Map([entry('a', { v: 2 })]));
    instance.setDesired(new Map());
    instance.setDesired(new Map([entry('a', { v: 3 })]));
    await waitFor('settled', () => instance.settled() && backend.changes.length >= 2);
    assert.deepEqual(ops(backend), ['create a 1', 'update a 3']);
    await instance.stop();
  });

  test('deletes wait for allowDeletes(): an entry of an earlier run is kept until start-up enumeration is done', async () => {
    const backend = new ScriptedBackend();
    const first = reconciler(backend);
    await first.instance.start();
    first.instance.setDesired(new Map([entry('old', {})]));
    await waitFor('registered', () => first.instance.settled());
    await first.instance.stop();
    const second = reconciler(backend, first.stateDir);
    await second.instance.start();
    second.instance.setDesired(new Map());
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(ops(backend), ['create old null']);
    second.instance.allowDeletes();
    await waitFor('deleted', () => second.instance.settled());
    assert.deepEqual(ops(backend), ['create old null', 'delete old null']);
    // The backend's `remote` from the acknowledgement is handed back with the delete.
    assert.deepEqual(backend.changes[1]!.remote, { seen: 'create' });
    await second.instance.stop();
  });

  test('acknowledged state survives a restart: nothing is sent again', async () => {
    const backend = new ScriptedBackend();
    const first = reconciler(backend);
    await first.instance.start();
    first.instance.setDesired(new Map([entry('a', { v: 1 })]));
    await waitFor('registered', () => first.instance.settled());
    await first.instance.stop();
    const second = reconciler(backend, first.stateDir);
    await second.instance.start();
    second.instance.setDesired(new Map([entry('a', { v: 1 })]));
    second.instance.allowDeletes();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(backend.changes.length, 1);
    await second.instance.stop();
  });

  test('the state is written ahead: while a request is under way, the file says it may have arrived', async () => {
    const backend = new ScriptedBackend();
    backend.delayMs = 100;
    const { instance, stateDir } = reconciler(backend);
    await instance.start();
    instance.setDesired(new Map([entry('a', { v: 1 })]));
    await waitFor('the request', () => backend.changes.length === 1);
    // What a restart would read now (snapshot and journal).
    const during = await readSavedState(stateDir, createLogger('error'));
    assert.ok(during[0]!.sending);
    assert.equal(during[0]!.acknowledged, undefined);
    await waitFor('settled', () => instance.settled());
    await instance.stop();
    const after = await readSavedState(stateDir, createLogger('error'));
    assert.equal(after[0]!.sending, undefined);
    assert.deepEqual(after[0]!.acknowledged!.payload, { identifier: 'a', v: 1 });
  });

  test('a write-ahead record that could not be saved claims nothing: the attempt after it is still a first one', async () => {
    const backend = new ScriptedBackend();
    const { instance, stateDir } = reconciler(backend);
    await instance.start();
    // A folder where the journal goes: every save fails until it is removed.
    mkdirSync(path.join(stateDir, JOURNAL_FILE));
    instance.setDesired(new Map([entry('a', {})]));
    await waitFor('the save failed', () =>
      instance.status().some((status) => /state not saved/.test(status.lastError ?? '')),
    );
    assert.equal(backend.changes.length, 0, 'nothing is sent without its record');
    rmSync(path.join(stateDir, JOURNAL_FILE), { recursive: true });
    await waitFor('registered', () => instance.settled() && backend.changes.length > 0);
    assert.equal(backend.changes[0]!.firstAttempt, true);
    await instance.stop();
  });

  test('the retries of one request announce it once: its write-ahead record is not written (and flushed) per attempt', async () => {
    const backend = new ScriptedBackend();
    const failing = (count: number) =>
      Array.from({ length: count }, () => ({ outcome: 'retry' as const, reason: 'HTTP 503' }));
    backend.answers = failing(5);
    const { instance, stateDir } = reconciler(backend);
    await instance.start();
    instance.allowDeletes();
    instance.setDesired(new Map([entry('a', { v: 1 })]));
    await waitFor('registered after five failures', () => instance.settled() && backend.changes.length === 6);
    backend.answers = failing(3);
    instance.setDesired(new Map());
    await waitFor('removed after three failures', () => instance.settled() && backend.changes.length === 10);
    await instance.stop();
    const records = readFileSync(path.join(stateDir, JOURNAL_FILE), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => (JSON.parse(line) as { entry: HeldEntry | null }).entry);
    const kinds = records.map((held) =>
      held === null ? 'gone' : held.deleting ? 'deleting' : held.sending ? 'sending' : 'acknowledged',
    );
    assert.deepEqual(kinds, ['sending', 'acknowledged', 'deleting', 'gone']);
  });

  test('retryable failures and exceptions are retried with backoff; Retry-After is honoured', async () => {
    const backend = new ScriptedBackend();
    backend.answers = [
      { outcome: 'retry', reason: 'HTTP 500' },
      { outcome: 'retry', reason: 'HTTP 503', afterMs: 200 },
    ];
    const { instance } = reconciler(backend);
    await instance.start();
    const started = Date.now();
    instance.setDesired(new Map([entry('a', {})]));
    await waitFor('two failures', () => backend.changes.length === 2);
    const status = instance.status()[0]!;
    assert.equal(status.state, 'retrying');
    assert.equal(status.lastError, 'HTTP 503');
    assert.equal(status.failures, 2);
    await waitFor('success', () => instance.settled());
    assert.ok(Date.now() - started >= 200, 'the third attempt waited for Retry-After');
    assert.equal(instance.status()[0]!.state, 'acknowledged');
    backend.throws = true;
    instance.setDesired(new Map([entry('a', { v: 2 })]));
    await waitFor('retries after exceptions', () => instance.status()[0]!.failures >= 3);
    assert.equal(instance.status()[0]!.lastError, 'backend exploded');
    await instance.stop();
  });

  test('a delivery that keeps failing is logged as a warning with its count, not once per attempt', async () => {
    const backend = new ScriptedBackend();
    backend.answers = Array.from({ length: 6 }, () => ({ outcome: 'retry' as const, reason: 'HTTP 503' }));
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    const instance = new Reconciler({
      backends: new Map([['b', backend]]),
      stateDir: mkdtempSync(path.join(tmpdir(), 'reconciler-')),
      log,
      policy: { baseMs: 10, factor: 1, capMs: 10 },
    });
    await instance.start();
    instance.setDesired(new Map([entry('a', {})]));
    await waitFor('six failures, then success', () => instance.status()[0]?.state === 'acknowledged');
    const failures = lines.filter((line) => line['msg'] === 'delivery failed, will retry');
    // The first failure at warn; its repeats within the minute are counted by the logger, which
    // writes the next one with the number it left out (test/log.test.ts).
    assert.deepEqual(
      failures.map((line) => [line['level'], line['failures'], line['reason']]),
      [['warn', 1, 'HTTP 503']],
    );
    await instance.stop();
  });

  test('a permanent failure waits for the retry cap, but goes again at once when what is desired changes', async () => {
    const backend = new ScriptedBackend();
    backend.answers = [{ outcome: 'permanent', reason: 'HTTP 400: schema' }];
    const { instance } = reconciler(backend, undefined, { baseMs: 10, factor: 2, capMs: 600_000 });
    await instance.start();
    instance.setDesired(new Map([entry('a', { v: 1 })]));
    await waitFor('the failure', () => instance.status()[0]?.state === 'failed');
    instance.setDesired(new Map([entry('a', { v: 1 })]));
    assert.equal(backend.changes.length, 1);
    assert.ok(instance.settled(), 'a failed entry does not count as pending');
    instance.setDesired(new Map([entry('a', { v: 2 })]));
    await waitFor('the retry with the new payload', () => instance.status()[0]?.state === 'acknowledged');
    assert.deepEqual(ops(backend), ['create a 1', 'create a 2']);
    await instance.stop();
  });

  for (const configured of [undefined, 2])
    test(`requests under way at once per backend: ${configured === undefined ? "the backend's own limit, else 16" : 'as the config says, for every backend'}`, async () => {
      const plain = new GatedBackend();
      const programs = new GatedBackend(4);
      const instance = new Reconciler({
        backends: new Map<string, Backend>([
          ['b', plain],
          ['x', programs],
        ]),
        stateDir: mkdtempSync(path.join(tmpdir(), 'reconciler-')),
        log: quiet,
        ...(configured !== undefined && { concurrency: configured }),
      });
      await instance.start();
      const entries = new Map<string, DesiredEntry>();
      for (let index = 0; index < 40; index++) {
        const [key, desired] = entry(`d${index}`, {});
        entries.set(key, desired);
        entries.set(entryKey('x', `d${index}`), { ...desired, backend: 'x', notify: { backend: 'x' } });
      }
      instance.setDesired(entries);
      const [plainLimit, programLimit] = configured === undefined ? [16, 4] : [configured, configured];
      // The requests of one turn start together, once their write-ahead records are written: had
      // more been let through, they would be counted here too.
      await waitFor('the first requests', () => plain.started >= plainLimit && programs.started >= programLimit);
      assert.deepEqual([plain.started, programs.started], [plainLimit, programLimit]);
      plain.open();
      programs.open();
      await waitFor('every entry', () => instance.status().every((status) => status.state === 'acknowledged'));
      assert.deepEqual([plain.started, programs.started], [40, 40]);
      assert.deepEqual([plain.most, programs.most], [plainLimit, programLimit]);
      await instance.stop();
    });

  test('a registration held for a backend no longer configured fails its removal, saying why', async () => {
    const first = reconciler(new ScriptedBackend());
    await first.instance.start();
    first.instance.setDesired(new Map([entry('a', {})]));
    await waitFor('the acknowledgement', () => first.instance.status()[0]?.state === 'acknowledged');
    await first.instance.stop();
    const instance = new Reconciler({
      backends: new Map(),
      stateDir: first.stateDir,
      log: quiet,
      policy: { baseMs: 10, factor: 2, capMs: 50 },
    });
    await instance.start();
    instance.allowDeletes();
    instance.setDesired(new Map());
    await waitFor('the failure', () => instance.status()[0]?.state === 'failed');
    assert.match(instance.status()[0]!.lastError!, /no backend named b in the configuration/);
    await instance.stop();
  });

  test('facts travel with changes and are kept for the delete, across a restart; they are compared only for backends that follow them', async () => {
    const backend = new ScriptedBackend();
    const first = reconciler(backend);
    await first.instance.start();
    first.instance.allowDeletes();
    const withFacts = (identifier: string, tty: string, at: string, followsFacts: boolean): [string, DesiredEntry] => {
      const [key, desired] = entry(identifier, {});
      return [
        key,
        {
          ...desired,
          facts: { serial: { path: tty }, event: { action: 'add', at } },
          ...(followsFacts && { followsFacts }),
        },
      ];
    };
    first.instance.setDesired(
      new Map([withFacts('follows', '/dev/ttyACM0', 't1', true), withFacts('ignores', '/dev/ttyACM0', 't1', false)]),
    );
    await waitFor('both created', () => backend.changes.length === 2 && first.instance.settled());
    // Only the time the device was first seen differs (as after a restart): nothing to send.
    first.instance.setDesired(
      new Map([withFacts('follows', '/dev/ttyACM0', 't2', true), withFacts('ignores', '/dev/ttyACM0', 't2', false)]),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(backend.changes.length, 2);
    // Another tty, same payload: an update only where the backend follows the facts.
    first.instance.setDesired(
      new Map([withFacts('follows', '/dev/ttyACM1', 't2', true), withFacts('ignores', '/dev/ttyACM1', 't2', false)]),
    );
    await waitFor('the update', () => backend.changes.length === 3 && first.instance.settled());
    assert.deepEqual(
      [backend.changes[2]!.op, backend.changes[2]!.identifier, backend.changes[2]!.facts?.serial?.path],
      ['update', 'follows', '/dev/ttyACM1'],
    );
    await first.instance.stop();
    const second = reconciler(backend, first.stateDir);
    await second.instance.start();
    second.instance.allowDeletes();
    second.instance.setDesired(new Map());
    await waitFor('both deleted', () => backend.changes.length === 5 && second.instance.settled());
    const deletes = backend.changes.slice(3).sort((a, b) => a.identifier.localeCompare(b.identifier));
    assert.deepEqual(
      deletes.map((change) => [change.op, change.identifier, change.facts?.serial?.path, change.profile]),
      [
        ['delete', 'follows', '/dev/ttyACM1', 'p'],
        ['delete', 'ignores', '/dev/ttyACM0', 'p'],
      ],
    );
    await second.instance.stop();
  });
});

test('retryDelay: Retry-After lengthens the engine backoff but never shortens it', async () => {
  const { retryDelay } = await import('../../engine/reconcile/retry-policy.js');
  const policy = { baseMs: 1000, factor: 2, capMs: 8000 };
  const half = () => 0.5;
  assert.equal(retryDelay(1, 0, policy, half), 750);
  assert.equal(retryDelay(1, undefined, policy, half), 750);
  assert.equal(retryDelay(3, 100, policy, half), 3000);
  assert.equal(retryDelay(1, 30_000, policy, half), 30_000);
});

/** A backend whose requests wait until the test opens it; it counts how many were under way at once. */
class GatedBackend implements Backend {
  started = 0;
  most = 0;
  private underWay = 0;
  private readonly gate: Promise<void>;
  open: () => void = () => {};

  constructor(readonly concurrency?: number) {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  async apply(): Promise<ApplyResult> {
    this.started++;
    this.most = Math.max(this.most, ++this.underWay);
    await this.gate;
    this.underWay--;
    return { outcome: 'acknowledged' };
  }

  async close(): Promise<void> {}
}
