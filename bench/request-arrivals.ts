import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeAgent, LoggedRequest } from '../test/fakes/fake-nuvlabox-agent.js';

/**
 * Follows the requests a fake agent receives, in arrival order: each call waits for the next
 * request that `matches` (up to `timeoutMs`) and returns its arrival time, skipping the others.
 */
export function requestArrivals(
  agent: FakeAgent,
  timeoutMs: number,
): (matches: (request: LoggedRequest) => boolean) => Promise<number | undefined> {
  let cursor = agent.requests.length;
  return async (matches) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      while (cursor < agent.requests.length) {
        const request = agent.requests[cursor++]!;
        if (matches(request)) return request.at;
      }
      await sleep(1);
    }
    return undefined;
  };
}
