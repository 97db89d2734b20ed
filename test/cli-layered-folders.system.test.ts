// Layered profiles folders in the one-shot commands: a vendor catalogue, then a site folder that
// replaces one of its profiles and masks two (an empty file; `mask: true` under another file
// name). `engine validate` and `engine list` say what was replaced or masked, the site's
// profile is the one a device matches, a masked profile matches nothing, and two files of one
// folder with one name stay a `duplicate-name` error.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from './paths.js';

const profile = (root: string, name: string, label: string) =>
  `name: ${name}\ndetect:\n  file: { path: "${root}/dev/${name}*" }\nmap: { identifier: { var: "file.name" }, name: "${label}" }\nnotify: [{ backend: stdout }]\n`;

/** A scratch folder with vendor/ (gps, camera, modem), site/ and dev/ (one device per profile). */
function layeredFolders(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'engine-layers-'));
  for (const folder of ['vendor', 'site', 'dev']) mkdirSync(path.join(root, folder));
  for (const name of ['gps', 'camera', 'modem']) {
    writeFileSync(path.join(root, 'vendor', `${name}.yaml`), profile(root, name, `vendor ${name}`));
    writeFileSync(path.join(root, 'dev', `${name}0`), '');
  }
  writeFileSync(path.join(root, 'site', 'gps.yaml'), profile(root, 'gps', 'site gps'));
  writeFileSync(path.join(root, 'site', 'camera.yaml'), '');
  writeFileSync(path.join(root, 'site', 'no-modem.yaml'), 'mask: true\nname: modem\n');
  return root;
}

const LAYERS = ['--profiles', 'vendor', '--profiles', 'site'];

describe('layered profiles folders', () => {
  test('engine validate says which profiles the site folder replaces and masks', () => {
    const root = layeredFolders();
    try {
      const text = runCli(['validate', ...LAYERS], { cwd: root });
      assert.equal(text.status, 0, text.stdout + text.stderr);
      for (const line of [
        'vendor/camera.yaml: profile camera masked by site/camera.yaml',
        'vendor/gps.yaml: profile gps replaced by site/gps.yaml',
        'vendor/modem.yaml: profile modem masked by site/no-modem.yaml',
      ])
        assert.ok(text.stdout.includes(line), `${line} in\n${text.stdout}`);
      const json = runCli(['validate', ...LAYERS, '--format', 'json', '--strict'], { cwd: root });
      assert.equal(json.status, 0);
      const report = JSON.parse(json.stdout) as { issues: unknown[]; replaced: { file: string; masked: boolean }[] };
      assert.deepEqual(report.issues, []);
      assert.deepEqual(
        report.replaced.map((entry) => `${entry.file} ${entry.masked}`),
        ['vendor/camera.yaml true', 'vendor/gps.yaml false', 'vendor/modem.yaml true'],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('engine list matches the site profile, never a masked one, and names the replaced files', () => {
    const root = layeredFolders();
    try {
      const json = runCli(['list', ...LAYERS, '--json', '--state', path.join(root, 'state')], { cwd: root });
      assert.equal(json.status, 0, json.stderr);
      const listed = JSON.parse(json.stdout) as { key: string; profile: string | null }[];
      const byPath = Object.fromEntries(
        listed
          .filter((device) => device.key.includes(root))
          .map((device) => [path.basename(device.key), device.profile]),
      );
      // A masked profile's paths are not even looked at: only the gps device is listed.
      assert.deepEqual(byPath, { gps0: 'gps' });
      const text = runCli(['list', ...LAYERS, '--state', path.join(root, 'state')], { cwd: root });
      assert.equal(text.status, 0, text.stderr);
      assert.match(
        text.stdout,
        /Replaced by a later profiles folder:\n {2}vendor\/camera\.yaml: profile camera masked/,
      );
      assert.ok(text.stdout.includes('vendor/gps.yaml: profile gps replaced by site/gps.yaml'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('the folders can come from the config file, relative to it', () => {
    const root = layeredFolders();
    try {
      writeFileSync(path.join(root, 'engine.yaml'), 'profiles: { folders: [vendor, site] }\n');
      const result = runCli(['validate', '--config', path.join(root, 'engine.yaml')]);
      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.ok(result.stdout.includes(`${root}/vendor/gps.yaml: profile gps replaced by ${root}/site/gps.yaml`));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('engine test runs the tests of the profiles in use, not those beside a replaced one', () => {
    const root = layeredFolders();
    try {
      const expecting = (label: string) =>
        `profile: gps\ntests:\n  - name: ${label}\n    facts: { file: { path: ${root}/dev/gps0 } }\n    expect: { match: true, payload: { name: ${label} } }\n`;
      writeFileSync(path.join(root, 'vendor', 'gps.test.yaml'), expecting('vendor gps'));
      writeFileSync(path.join(root, 'site', 'gps.test.yaml'), expecting('site gps'));
      const result = runCli(['test', ...LAYERS, '--format', 'json'], { cwd: root });
      assert.equal(result.status, 0, result.stdout + result.stderr);
      const report = JSON.parse(result.stdout) as { tests: { file: string; passed: boolean }[] };
      assert.deepEqual(
        report.tests.map((entry) => `${entry.file} ${entry.passed}`),
        ['site/gps.test.yaml true'],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('two files of one folder with one name stay an error; the same name in an earlier folder is none', () => {
    const root = layeredFolders();
    try {
      writeFileSync(path.join(root, 'site', 'gps-again.yaml'), profile(root, 'gps', 'site gps again'));
      const result = runCli(['validate', ...LAYERS, '--format', 'json'], { cwd: root });
      assert.equal(result.status, 1);
      const { issues } = JSON.parse(result.stdout) as { issues: { file: string; code: string }[] };
      assert.deepEqual(
        issues.map((issue) => `${issue.file} ${issue.code}`),
        ['site/gps-again.yaml duplicate-name', 'site/gps.yaml duplicate-name'],
      );
      const same = runCli(['validate', '--profiles', 'site', '--profiles', './site/'], { cwd: root });
      assert.equal(same.status, 2, 'one folder given twice is a usage error');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
