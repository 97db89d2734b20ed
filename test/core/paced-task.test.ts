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
  return { task, runs, advance: (ms: number) => (clock += ms), now: () => clock };
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
    const { task, runs, advance, now } = paced(() => 40);
    task.run();
    const ended = now();
    task.schedule();
    // The real timer fires after about 40 ms; the clock the task reads has not moved meanwhile.
    const asked = performance.now();
    await turnsUntil(() => runs.length > 1);
    assert.ok(performance.now() - asked >= 35, 'the run was held back by a timer');
    assert.equal(runs[1], ended);
    // The clock moved past the wait: the next ask goes at once.
    advance(200);
    task.schedule();
    await turnsUntil(() => runs.length > 2);
  });
});
