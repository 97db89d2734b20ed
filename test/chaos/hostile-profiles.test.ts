// Hostile profiles dropped into a running daemon: a `when` that throws on the facts, a
// catastrophic regex against a 60-character device name, a `__proto__` map key, a `reduce` that
// doubles its value thirty times. Each must leave the invariant standing: the daemon alive and
// `/healthz` answering, the other profiles still at work, and the backend (a fake NuvlaBox agent
// on loopback) holding exactly the devices a good profile registers, each once.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startFakeAgent, type FakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import {
  deviceProfile,
  startEngine,
  waitFor,
  workspace,
  writeConfig,
  type EngineProcess,
  type Workspace,
} from '../daemon/engine-process.js';

interface Scene {
  space: Workspace;
  agent: FakeAgent;
  engine: EngineProcess;
  /** Adds `<dev>/<name>` for the good profile and waits until the agent holds it. */
  plug(name: string): Promise<void>;
}

async function scene(run: (scene: Scene) => Promise<void>): Promise<void> {
  const space = workspace();
  const agent = await startFakeAgent();
  writeConfig(space, agent.url);
  writeFileSync(path.join(space.profiles, 'sensor.yaml'), deviceProfile(space));
  writeFileSync(path.join(space.dev, 'sensor1'), '');
  const engine = await startEngine(space);
  const plug = async (name: string) => {
    writeFileSync(path.join(space.dev, name), '');
    await waitFor(`the good profile to register ${name}`, () => agent.peripherals.has(`test-device:${name}`), 20_000);
  };
  try {
    await plug('sensor1');
    await run({ space, agent, engine, plug });
  } finally {
    // A frozen daemon (the failure these tests look for) never runs its SIGTERM handler.
    const killLater = setTimeout(() => void engine.kill(), 10_000);
    await engine.stop();
    clearTimeout(killLater);
    await agent.close();
    rmSync(space.root, { recursive: true, force: true });
  }
}

/** The invariant, after a hostile profile has had its effect. */
async function assertInvariant({ agent, engine, plug }: Scene, present: string[]): Promise<void> {
  // The other profiles keep working: a device plugged now is registered.
  const fresh = `sensor${present.length + 1}`;
  await plug(fresh);
  const health = await ask(engine, '/healthz');
  assert.equal(health.status, 200);
  const expected = [...present, fresh].map((name) => `test-device:${name}`).sort();
  assert.deepEqual(
    [...agent.peripherals.keys()].sort(),
    expected,
    'the agent holds exactly the devices present for the good profile',
  );
  const posts = agent.requests
    .filter((request) => request.method === 'POST')
    .map((request) => (request.body as { identifier?: string }).identifier);
  assert.equal(new Set(posts).size, posts.length, `no identifier registered twice: ${posts.join(', ')}`);
  const exited = await Promise.race([engine.exited.then(() => true), Promise.resolve(false)]);
  assert.equal(exited, false, 'the daemon is alive');
}

/**
 * GET on the status server, given up after 10 s: a frozen daemon still accepts connections (the
 * kernel does) but never answers, and the test must then fail rather than wait for ever. Not a
 * speed check: a live daemon answers in milliseconds.
 */
async function ask(engine: EngineProcess, pathname: string): Promise<{ status: number; body: unknown }> {
  const aborter = new AbortController();
  const timer = setTimeout(
    () => aborter.abort(new Error(`GET ${pathname}: no answer in 10 s; the daemon is frozen`)),
    10_000,
  );
  try {
    const response = await fetch(`http://127.0.0.1:${engine.port}${pathname}`, { signal: aborter.signal });
    const text = await response.text();
    return { status: response.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
  } finally {
    clearTimeout(timer);
  }
}

interface DeviceView {
  key: string;
  profile: string | null;
  problems: string[];
  candidates: { profile: string; matched: boolean; reason?: string }[];
}

const devices = async (engine: EngineProcess) => (await ask(engine, '/devices')).body as DeviceView[];
const device = async (engine: EngineProcess, file: string) =>
  (await devices(engine)).find((view) => view.key.endsWith(file));

/** A profile over `<dev>/<glob>` notifying the agent, with a valid document and the given extra lines. */
const hostile = (space: Workspace, name: string, glob: string, lines: string[], map: string[] = []) =>
  [
    `name: ${name}`,
    'priority: 10',
    'detect:',
    `  file: { path: "${space.dev}/${glob}" }`,
    ...lines.map((line) => `  ${line}`),
    'map:',
    `  identifier: { cat: ["${name}:", { var: "file.name" }] }`,
    '  name: hostile',
    '  available: true',
    ...map.map((line) => `  ${line}`),
    'notify:',
    '  - backend: nuvlabox',
    '',
  ].join('\n');

describe('hostile profiles dropped into a running daemon', () => {
  test('a `when` that throws on the facts: the device goes to the next profile, the error is a problem on /devices', () =>
    scene(async (current) => {
      const { space, engine } = current;
      // Valid as written; at run time the `if` hands `missing_some` null, and json-logic-js throws.
      const when = 'when: { missing_some: [1, { if: [{ var: "params.nothing" }, ["file.name"], null] }] }';
      writeFileSync(path.join(space.profiles, 'throwing.yaml'), hostile(space, 'throwing-when', 'sensor*', [when]));
      await waitFor(
        'the error to show on /devices',
        async () =>
          (await device(engine, 'sensor1'))?.problems.some((problem) =>
            problem.includes('`when` could not be evaluated'),
          ) === true,
        20_000,
      );
      assert.equal((await device(engine, 'sensor1'))?.profile, 'test-device');
      await assertInvariant(current, ['sensor1']);
    }));

  test('a catastrophic regex against a 60-character device name answers at once', () =>
    scene(async (current) => {
      const { space, engine } = current;
      writeFileSync(path.join(space.dev, `${'a'.repeat(60)}!`), '');
      writeFileSync(
        path.join(space.profiles, 'regex.yaml'),
        hostile(space, 'catastrophic-regex', 'a*', ['when: { regex: ["^(a+)+$", { var: "file.name" }] }']),
      );
      await waitFor(
        'the regex to be evaluated',
        async () =>
          (await device(engine, '!'))?.candidates.some(
            (candidate) => candidate.profile === 'catastrophic-regex' && candidate.reason === '`when` is false',
          ) === true,
        20_000,
      );
      await assertInvariant(current, ['sensor1']);
    }));

  test('a `__proto__` map key is refused with its position and never loaded', () =>
    scene(async (current) => {
      const { space, engine } = current;
      writeFileSync(
        path.join(space.profiles, 'proto.yaml'),
        hostile(space, 'proto-key', 'sensor*', [], ['__proto__: { var: "file.name" }']),
      );
      type Profiles = {
        loaded: { name: string }[];
        files: { file: string; issues: { code: string; line: number; col: number }[] }[];
      };
      await waitFor(
        'the issue on /profiles',
        async () =>
          ((await ask(engine, '/profiles')).body as Profiles).files.some((file) =>
            file.issues.some((issue) => issue.code === 'unsafe-map-key'),
          ),
        20_000,
      );
      const profiles = (await ask(engine, '/profiles')).body as Profiles;
      const issue = profiles.files
        .find((file) => file.file.endsWith('proto.yaml'))!
        .issues.find((entry) => entry.code === 'unsafe-map-key')!;
      assert.deepEqual([issue.line, issue.col], [9, 3]);
      assert.deepEqual(
        profiles.loaded.map((entry) => entry.name),
        ['test-device'],
      );
      await assertInvariant(current, ['sensor1']);
    }));

  test('a `reduce` doubling its value thirty times is stopped: a problem for its device, nothing sent', () =>
    scene(async (current) => {
      const { space, engine, agent } = current;
      const thirty = `[${Array.from({ length: 30 }, (_, index) => index).join(', ')}]`;
      const map = [
        `description: { reduce: [${thirty}, { cat: [{ var: accumulator }, { var: accumulator }] }, "ab"] }`,
        `classes: { reduce: [${thirty}, [{ var: accumulator }, { var: accumulator }], ["x"]] }`,
      ];
      writeFileSync(path.join(space.dev, 'big1'), '');
      writeFileSync(path.join(space.profiles, 'doubling.yaml'), hostile(space, 'doubling', 'big*', [], map));
      await waitFor(
        'the problem on /devices',
        async () =>
          (await device(engine, 'big1'))?.problems.some((problem) => /map failed: .*value over/.test(problem)) === true,
        20_000,
      );
      assert.ok(![...agent.peripherals.keys()].some((identifier) => identifier.startsWith('doubling:')));
      await assertInvariant(current, ['sensor1']);
    }));
});
