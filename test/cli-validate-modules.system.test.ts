// `engine validate` loads only what checking profiles needs: not the daemon, and not the `yaml`
// library while every file is valid (the fast path, engine/core/fast-yaml.ts); a file with
// a problem brings `yaml` in, to position it. The engine runs as it ships, bundled.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT, runCli } from './paths.js';

const RECORDER = pathToFileURL(path.join(ROOT, 'dist', 'test', 'daemon', 'loaded-modules.js')).href;

/** Runs `engine validate PATH` with the module recorder; the exit status and what it loaded. */
function validateRecorded(target: string): { status: number | null; stdout: string; loaded: string } {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'engine-modules-')), 'loaded.txt');
  writeFileSync(file, '');
  const result = runCli(['validate', target], {
    env: { ...process.env, NODE_OPTIONS: `--import ${RECORDER}`, LOADED_MODULES_FILE: file },
  });
  return { status: result.status, stdout: result.stdout, loaded: readFileSync(file, 'utf8') };
}

const hasPackage = (loaded: string, name: string) => loaded.includes(`/node_modules/${name}/`);

/**
 * The engine sources whose code was loaded (`engine/profiles/lint-profile.ts`): a bundle in
 * dist/engine/ (scripts/bundle.mjs) stands for the sources it holds, a module tsc wrote for its own.
 */
function loadedSources(loaded: string): Set<string> {
  const bundles = JSON.parse(readFileSync(path.join(ROOT, 'dist', 'engine', 'bundle-sources.json'), 'utf8')) as Record<
    string,
    string[]
  >;
  const sources = new Set<string>();
  for (const line of loaded.split('\n')) {
    const bundle = /\/dist\/engine\/([^/]+\.js)$/.exec(line)?.[1];
    const module = /\/dist\/(engine\/.+)\.js$/.exec(line)?.[1];
    if (bundle && bundles[bundle]) for (const source of bundles[bundle]) sources.add(source);
    else if (module) sources.add(`${module}.ts`);
  }
  return sources;
}

test('validating valid profiles loads neither the daemon nor yaml', () => {
  // The shipped profiles, without their test files (tests are positioned with yaml).
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-modules-'));
  const shipped = readdirSync(path.join(ROOT, 'profiles')).filter(
    (name) => name.endsWith('.yaml') && !name.endsWith('.test.yaml'),
  );
  for (const name of shipped) copyFileSync(path.join(ROOT, 'profiles', name), path.join(folder, name));
  const { status, stdout, loaded } = validateRecorded(folder);
  assert.equal(status, 0, stdout);
  assert.match(stdout, new RegExp(`${shipped.length} files checked: 0 errors, 0 warnings`));
  // The recorder saw the checks' own modules: an empty list would prove nothing.
  const sources = loadedSources(loaded);
  assert.ok(hasPackage(loaded, 'js-yaml') && sources.has('engine/profiles/lint-profile.ts'), loaded);
  for (const name of ['yaml', 'got', 'usb', 'serialport']) assert.ok(!hasPackage(loaded, name), `${name} was loaded`);
  for (const daemon of ['engine/daemon/daemon.ts', 'engine/cli/run.ts', 'engine/reconcile/reconciler.ts'])
    assert.ok(!sources.has(daemon), `${daemon} was loaded`);
});

test('a profile with a problem brings yaml in, to position it', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-modules-'));
  writeFileSync(
    path.join(folder, 'bad.yaml'),
    'name: bad\ndetect:\n  usb: { vendorId: "0403" }\nmap:\n  identifier: { var: "usb.serialNumber" }\nnotify:\n  - backend: nowhere\n',
  );
  const { status, stdout, loaded } = validateRecorded(folder);
  assert.equal(status, 1);
  assert.match(stdout, /bad\.yaml:7:14 error unknown-backend/);
  assert.ok(hasPackage(loaded, 'yaml'), 'yaml was not loaded');
});
