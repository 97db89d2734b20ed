// What every chaos test ends with: the backend holds exactly the present set, nothing was
// registered twice, and the daemon still answers its status server.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startFakeAgent, type FakeAgent, type LoggedRequest } from '../fakes/fake-nuvlabox-agent.js';
import {
  startEngine,
  waitFor,
  workspace,
  writeConfig,
  type EngineProcess,
  type Workspace,
} from '../daemon/engine-process.js';

/** Engine config: a short resync, so that what only the resync repairs is repaired within a test's bounds. */
export const QUICK_RESYNC = 'sources: { file: { resyncMs: 300 } }\nprofiles: { resyncMs: 300 }\n';
/** Engine config: no resync within a test, so that what is repaired is repaired by events. */
export const NO_RESYNC = 'sources: { file: { resyncMs: 600000 } }\nprofiles: { resyncMs: 600000 }\n';

/** A workspace, a fake agent and the engine running on them. */
export interface Scene {
  space: Workspace;
  agent: FakeAgent;
  engine: EngineProcess;
}

/** Runs `run` on an engine started after `prepare` made the workspace; everything is removed after. */
export async function scene(
  prepare: (space: Workspace) => void,
  run: (scene: Scene) => Promise<void>,
  config = QUICK_RESYNC,
): Promise<void> {
  const space = workspace();
  const agent = await startFakeAgent();
  writeConfig(space, agent.url, config);
  prepare(space);
  const engine = await startEngine(space);
  try {
    await run({ space, agent, engine });
  } finally {
    await engine.stop();
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

/** Per identifier, successful registrations and removals must alternate, starting with a registration. */
export function registeredTwice(requests: readonly LoggedRequest[]): string[] {
  const held = new Map<string, boolean>();
  const twice: string[] = [];
  for (const request of requests) {
    if (request.method === 'POST' && request.status === 201) {
      const identifier = (request.body as { identifier: string }).identifier;
      if (held.get(identifier)) twice.push(identifier);
      held.set(identifier, true);
    } else if (request.method === 'DELETE' && request.status === 200) {
      held.set(decodeURIComponent(request.path.split('/').pop()!), false);
    } else if (request.status === 400 && /already registered/.test(JSON.stringify(request))) {
      twice.push(String((request.body as { identifier?: string })?.identifier));
    }
  }
  return twice;
}

/**
 * Waits until the agent holds exactly `expected` (identifiers) with nothing still under way, then
 * checks that nothing was registered twice and that the daemon answers `/healthz`.
 */
export async function holdsExactly(
  agent: FakeAgent,
  engine: EngineProcess,
  expected: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const wanted = JSON.stringify([...expected].sort());
  const held = () => JSON.stringify([...agent.peripherals.keys()].sort());
  await waitFor(
    `the agent to hold ${wanted}`,
    async () => {
      if (held() !== wanted) return false;
      // Nothing still under way: what is held now is what stays.
      const status = (await engine.get('/')).body as { deliveries: Record<string, number> };
      return Object.keys(status.deliveries).every((state) => state === 'acknowledged');
    },
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; it holds ${held()}`);
  });
  assert.deepEqual(registeredTwice(agent.requests), []);
  assert.equal((await engine.get('/healthz')).status, 200);
}
