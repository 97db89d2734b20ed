// PacedTask: many asks, one run; the next run waits as long as the last one took, on a clock the
// test moves itself (the task "takes" time by moving it).
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { PacedTask } from '../../engine/core/paced-task.js';

/** A task on a clock that only the test moves: each run moves it by `takes` ms. */
function paced(takes: () => number) {
  let clock = 1_000;
  const runs: number[] = [];
  const task = new PacedTask(
    () => {
      runs.push(clock);
      clock += takes();
    },
    () => clock,
  );
  return { task, runs };
}

/** Resolves once `condition` holds, looking once per turn of the event loop. */
async function turnsUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await nextTurn();
}

describe('PacedTask', () => {
  test('asks that come before the run are answered by one run, on the next turn', async () => {
    const { task, runs } = paced(() => 0);
    for (let index = 0; index < 50; index++) task.schedule();
    assert.deepEqual(runs, [], 'nothing runs in the asking turn');
    await turnsUntil(() => runs.length > 0);
    await nextTurn();
    assert.equal(runs.length, 1);
    task.schedule();
    await turnsUntil(() => runs.length > 1);
    assert.equal(runs.length, 2, 'a quick task is not held back');
  });

  test('after a run that took 40 ms, the next one waits until 40 ms after it ended', async () => {
    const timers: { ms: number; start: () => void }[] = [];
    let clock = 1_000;
    const runs: number[] = [];
    const task = new PacedTask(
      () => {
        runs.push(clock);
        clock += 40;
      },
      () => clock,
      (ms, start) => timers.push({ ms, start }),
    );
    task.run();
    const ended = clock;
    task.schedule();
    task.schedule();
    // One timer, for the 40 ms the run took; nothing runs until it fires.
    assert.deepEqual(
      timers.map((timer) => timer.ms),
      [40],
    );
    await nextTurn();
    assert.equal(runs.length, 1);
    timers[0]!.start();
    assert.deepEqual(runs, [1_000, ended]);
    // The clock moved past the wait: the next ask goes on the next turn, without a timer.
    clock += 200;
    task.schedule();
    await turnsUntil(() => runs.length > 2);
    assert.equal(timers.length, 1);
  });
});
