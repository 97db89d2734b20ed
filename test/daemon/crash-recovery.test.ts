// Kills the engine with SIGKILL at random moments while it delivers, restarts it, and checks
// that the agent ends holding exactly the devices present: nothing lost, nothing left behind,
// nothing registered twice.
import assert from 'node:assert/strict';
import { existsSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { deviceProfile, startEngine, waitFor, workspace, writeConfig } from './engine-process.js';

const TRIALS = 24;
const DEVICES = ['sensor1', 'sensor2', 'sensor3', 'sensor4', 'sensor5', 'sensor6'];

test(`SIGKILL at random moments during delivery, ${TRIALS} times: the agent ends with exactly the present devices`, async () => {
  const space = workspace();
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
  const agent = await startFakeAgent();
  agent.delayMs = 25; // long enough that kills land while requests are under way
  writeConfig(space, agent.url);
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const present = () =>
    DEVICES.filter((name) => existsSync(path.join(space.dev, name)))
      .map((name) => `test-device:${name}`)
      .sort();
  try {
    let killedDuringRequest = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const engine = await startEngine(space);
      const before = agent.requests.length;
      // Every other trial kills the engine the moment one of its deliveries reaches the agent,
      // so that some kills surely land mid-request whatever the machine's speed; the others at a
      // random moment, between, during or after requests.
      const midRequest = trial % 2 === 0;
      let killing: Promise<void> | undefined;
      if (midRequest) {
        agent.onRequest = (request) => {
          if (!request.path.startsWith('/api/peripheral')) return;
          agent.onRequest = undefined;
          // SIGKILL is sent now, while the agent has not answered: it lands mid-request.
          killedDuringRequest++;
          killing = engine.kill();
        };
      }
      // Mid-request trials change four different devices, so that there is something to deliver.
      const order = [...DEVICES].sort(() => random() - 0.5);
      for (let change = 0; change < 4; change++) {
        const device = path.join(
          space.dev,
          midRequest ? order[change]! : DEVICES[Math.floor(random() * DEVICES.length)]!,
        );
        if (existsSync(device)) unlinkSync(device);
        else writeFileSync(device, '');
      }
      if (midRequest) {
        // Bounded: an engine that delivers nothing fails the test instead of hanging it.
        await waitFor('a delivery to reach the agent', () => killing !== undefined, 20_000).catch(
          async (error: Error) => {
            agent.onRequest = undefined;
            await engine.kill();
            throw error;
          },
        );
        await killing;
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 10 + random() * 120));
      // The fake logs a request with status 0 until it answers: this trial's are under way now
      // (an earlier trial's request cut off by its kill stays at 0 and must not count again).
      if (agent.requests.slice(before).some((request) => request.status === 0)) killedDuringRequest++;
      await engine.kill();
    }
    const last = await startEngine(space);
    try {
      await waitFor(
        'convergence after the last restart',
        () => [...agent.peripherals.keys()].sort().join() === present().join(),
        20_000,
      ).catch((error: Error) => {
        const logs = last.logs
          .filter((line) => line.msg !== 'device event')
          .map((line) => JSON.stringify(line).slice(0, 300));
        throw new Error(
          `${error.message}: agent holds ${[...agent.peripherals.keys()].sort().join()}, present ${present().join()}\n${logs.join('\n')}`,
        );
      });
    } finally {
      await last.stop();
    }
    // The agent keys by identifier, so a duplicate would show as an entry for a device that is
    // not present, or as a second identifier for one device: the set must be exactly right.
    assert.deepEqual([...agent.peripherals.keys()].sort(), present());
    // The trials must really have interrupted deliveries, or they tested nothing.
    assert.ok(killedDuringRequest >= TRIALS / 2, `only ${killedDuringRequest} kills landed during a request`);
    console.log(`${killedDuringRequest} of ${TRIALS} kills landed while a request was under way`);
  } finally {
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
});
