// A daemon loads `serialport`, `usb` and `got` only when its profiles and backends need them.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { startFakeWebhook } from '../fakes/fake-webhook.js';
import { startEngine, waitFor, workspace, type Workspace } from './engine-process.js';

const RECORDER = pathToFileURL(path.join(import.meta.dirname, 'loaded-modules.js')).href;

/** The packages under node_modules the engine loaded, by name, and the Node built-ins (`node:fs`). */
function loadedPackages(file: string): Set<string> {
  const names = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const found = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
    if (found) names.add(found[1]!);
    if (line.startsWith('node:')) names.add(line);
  }
  return names;
}

/** Runs the engine with the recorder until `delivered` holds, stops it, and lists its packages. */
async function packagesOfRun(
  space: Workspace,
  delivered: (stdout: string) => boolean | Promise<boolean>,
): Promise<Set<string>> {
  return loadedPackages(await recordedRun(space, delivered));
}

/** Runs the engine with the recorder until `delivered` holds and stops it; the file of what it loaded. */
async function recordedRun(
  space: Workspace,
  delivered: (stdout: string) => boolean | Promise<boolean>,
): Promise<string> {
  const file = path.join(space.root, 'loaded-modules.txt');
  writeFileSync(file, '');
  const engine = await startEngine(space, [], {
    ...process.env,
    NODE_OPTIONS: `--import ${RECORDER}`,
    LOADED_MODULES_FILE: file,
  });
  try {
    writeFileSync(path.join(space.dev, 'sensor0'), '');
    await waitFor('the device to be delivered', () => delivered(engine.stdout()));
  } finally {
    assert.equal(await engine.stop(), 0);
  }
  return file;
}

function fileProfile(space: Workspace, backend: string): string {
  return `name: sensor\ndetect:\n  file: { path: "${space.dev}/sensor*" }\nmap:\n  identifier: { cat: ["sensor:", { var: "file.name" }] }\nnotify:\n  - backend: ${backend}\n`;
}

describe('modules the daemon loads', () => {
  it('with only the stdout backend and a file profile: no serialport, usb or got', async () => {
    const space = workspace();
    writeFileSync(space.config, 'backends:\n  out: { type: stdout }\n');
    writeFileSync(path.join(space.profiles, 'sensor.yaml'), fileProfile(space, 'out'));
    const packages = await packagesOfRun(space, (stdout) => stdout.includes('"identifier":"sensor:sensor0"'));
    // The recorder saw the engine's own dependencies: an empty list would prove nothing.
    assert.ok(packages.has('js-yaml') && packages.has('json-logic-js'), `recorded: ${[...packages].join(', ')}`);
    // `yaml` too: a valid config and profile are read on the fast path (fast-yaml.ts).
    assert.ok(packages.has('node:fs'), `built-ins recorded: ${[...packages].join(', ')}`);
    // No HTTPS request and no program to run: their built-ins are not loaded either.
    for (const lazy of [
      'serialport',
      '@serialport/bindings-cpp',
      'usb',
      'got',
      'yaml',
      'node:https',
      'node:child_process',
    ])
      assert.ok(!packages.has(lazy), `${lazy} was loaded`);
  });

  it("compiles no schema at start: ajv's compiler is never loaded", async () => {
    // The config's, the profiles' and every source's settings are checked and filled by
    // validators generated at build time; compiling one at start cost about a tenth of a second.
    const space = workspace();
    writeFileSync(space.config, 'backends:\n  out: { type: stdout }\n');
    writeFileSync(path.join(space.profiles, 'sensor.yaml'), fileProfile(space, 'out'));
    const file = await recordedRun(space, (stdout) => stdout.includes('"identifier":"sensor:sensor0"'));
    const loaded = readFileSync(file, 'utf8').split('\n');
    // The generated validators load ajv's runtime helpers: the recorder saw ajv at all.
    assert.ok(
      loaded.some((line) => line.includes('/node_modules/ajv/dist/runtime/')),
      'no ajv runtime recorded',
    );
    const compilers = loaded.filter((line) => /\/node_modules\/ajv\/dist\/(?:2020|core|ajv)\.js$/.test(line));
    assert.deepEqual(compilers, []);
  });

  it('with a webhook backend: got, and still no serialport', async () => {
    const hook = await startFakeWebhook();
    try {
      const space = workspace();
      writeFileSync(space.config, `backends:\n  hook: { type: http, url: "${hook.url}" }\n`);
      writeFileSync(path.join(space.profiles, 'sensor.yaml'), fileProfile(space, 'hook'));
      const packages = await packagesOfRun(space, () => hook.received.length > 0);
      assert.ok(packages.has('got'), `recorded: ${[...packages].join(', ')}`);
      assert.ok(!packages.has('serialport'), 'serialport was loaded');
    } finally {
      await hook.close();
    }
  });
});
