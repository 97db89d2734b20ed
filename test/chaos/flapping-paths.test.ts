// Chaos: device paths that come and go faster than the backend answers. Whatever the order of
// events and answers, the backend must end with exactly the paths present, no identifier ever
// registered twice, and the daemon alive and answering.
import assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { deviceProfile, startEngine, workspace, writeConfig } from '../daemon/engine-process.js';
import { holdsExactly } from './converged.js';

const PATHS = 10;
const FLAPS = 6;
/** Each answer of the agent takes this long: every path changes several times per answer. */
const AGENT_DELAY_MS = 300;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('paths flapping faster than the backend answers', () => {
  for (const ending of ['present', 'absent', 'mixed'] as const) {
    test(`ending ${ending}: the agent ends with exactly the present set, nothing registered twice, the daemon alive`, async () => {
      const space = workspace();
      const agent = await startFakeAgent();
      writeConfig(space, agent.url);
      writeFileSync(path.join(space.profiles, 'flap.yaml'), deviceProfile(space, { prefix: 'flap', name: 'flap' }));
      const engine = await startEngine(space);
      try {
        agent.delayMs = AGENT_DELAY_MS;
        const files = Array.from({ length: PATHS }, (_, index) => path.join(space.dev, `flap${index}`));
        const endsPresent = (index: number) => ending === 'present' || (ending === 'mixed' && index % 2 === 0);
        for (let flap = 0; flap < FLAPS; flap += 1) {
          for (const file of files) writeFileSync(file, '');
          await pause(flap * 7);
          for (const file of files) unlinkSync(file);
          await pause(5);
        }
        files.forEach((file, index) => endsPresent(index) && writeFileSync(file, ''));
        const expected = files
          .flatMap((file, index) => (endsPresent(index) ? [`flap:${path.basename(file)}`] : []))
          .sort();
        agent.delayMs = 0;
        await holdsExactly(agent, engine, expected);
        assert.ok(
          agent.requests.some((request) => request.method === 'POST'),
          'the flapping reached the agent',
        );
      } finally {
        await engine.stop();
        await agent.close();
        rmSync(space.root, { recursive: true, force: true });
      }
    });
  }
});
