// `engine list` names the rule that ignored a device: a config rule with its file, or an ignore profile.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from './paths.js';

test('engine list says which config rule or ignore profile ignored a device', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-list-ignore-'));
  const [profiles, dev] = [path.join(folder, 'profiles'), path.join(folder, 'dev')];
  mkdirSync(profiles);
  mkdirSync(dev);
  for (const name of ['video0', 'video1', 'video2']) writeFileSync(path.join(dev, name), '');
  writeFileSync(
    path.join(profiles, 'camera.yaml'),
    `name: camera\npriority: 100\ndetect: { file: { path: "${dev}/video*" } }\nmap: { classes: [video] }\nnotify: [{ backend: stdout }]\n`,
  );
  const leave = path.join(profiles, 'leave-video2.yaml');
  writeFileSync(
    leave,
    `name: leave-video2\ndescription: the kiosk app owns it\nignore: true\ndetect: { file: { path: "${dev}/video2" } }\n`,
  );
  const config = path.join(folder, 'engine.yaml');
  writeFileSync(
    config,
    `ignore:\n  - name: no-video1\n    reason: a loopback device\n    detect: { file: { path: "${dev}/video1" } }\n`,
  );
  try {
    const json = runCli(['list', '--profiles', profiles, '--config', config, '--json']);
    assert.equal(json.status, 0, json.stderr);
    const listed = (JSON.parse(json.stdout) as { key: string; profile: string | null; ignored?: object }[]).filter(
      (device) => device.key.startsWith('file:'),
    );
    assert.deepEqual(
      listed.map((device) => [path.basename(device.key), device.profile, device.ignored ?? null]),
      [
        ['video0', 'camera', null],
        ['video1', null, { name: 'no-video1', file: config, kind: 'config-rule', reason: 'a loopback device' }],
        ['video2', null, { name: 'leave-video2', file: leave, kind: 'profile', reason: 'the kiosk app owns it' }],
      ],
    );
    const text = runCli(['list', '--profiles', profiles, '--config', config]);
    assert.equal(text.status, 0, text.stderr);
    assert.ok(text.stdout.includes(`(ignored by ignore rule no-video1 of ${config}: a loopback device)`), text.stdout);
    assert.ok(text.stdout.includes(`(ignored by profile leave-video2 (${leave}): the kiosk app owns it)`), text.stdout);
    assert.match(text.stdout, /, 2 ignored$/m);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
