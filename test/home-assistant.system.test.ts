// The Home Assistant corpus (test/home-assistant/README.md): one profile per matcher of its USB
// discovery, valid, and every device it recognises won by the profile of the matcher it uses.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, runCli } from './paths.js';

const CORPUS = path.join('test', 'home-assistant', 'profiles');

describe('Home Assistant parity corpus', () => {
  test('one profile per Home Assistant matcher (27), valid; the only warning is the broad FT-X matcher', () => {
    const profiles = readdirSync(path.join(ROOT, CORPUS)).filter(
      (name) => name.endsWith('.yaml') && !name.endsWith('.test.yaml'),
    );
    assert.equal(profiles.length, 27);
    const result = runCli(['validate', CORPUS, '--format', 'json']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as { errors: number; issues: { code: string; file: string }[] };
    assert.deepEqual(
      report.issues.map((issue) => `${issue.code} ${path.basename(issue.file)}`),
      ['broad-matcher smart-meter-b-route-0403-6015.yaml'],
    );
  });

  test('engine test: every known device goes to the profile of the matcher Home Assistant uses, both HubZ ports included', () => {
    const result = runCli(['test', CORPUS]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /PASS .* Nortek HubZ, the Z-Wave port/);
    assert.match(result.stdout, /PASS .* Nortek HubZ, the Zigbee port/);
    assert.match(result.stdout, /^18 passed, 0 failed/m);
  });
});
