// What /metrics and the log tell an operator of a running engine: process figures, the build,
// the last acknowledged delivery per backend, probe counters, a delivery-latency histogram, and
// a line when a device matches a profile and when it is delivered.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startEngine, waitFor, workspace } from './engine-process.js';

const sample = (text: string, name: string) => {
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(`${name} `) || candidate.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

test('metrics and log lines of a delivered device', async () => {
  const space = workspace();
  writeFileSync(space.config, 'backends:\n  stdout: { type: stdout }\n');
  writeFileSync(
    path.join(space.profiles, 'camera.yaml'),
    `name: test-camera\ndetect:\n  file: { path: "${space.dev}/video*" }\nmap:\n  identifier: { cat: ["camera:", { var: "file.name" }] }\nnotify:\n  - backend: stdout\n`,
  );
  const engine = await startEngine(space);
  try {
    const before = Date.now() / 1000;
    writeFileSync(path.join(space.dev, 'video0'), '');
    await waitFor('the delivery', () => engine.logs.some((line) => line.msg === 'registered'));
    const device = `file:${path.join(space.dev, 'video0')}`;
    assert.ok(
      engine.logs.some(
        (line) =>
          line.level === 'info' &&
          line.msg === 'device matched' &&
          line.device === device &&
          line.profile === 'test-camera',
      ),
    );
    assert.ok(
      engine.logs.some(
        (line) =>
          line.level === 'info' &&
          line.msg === 'registered' &&
          line.backend === 'stdout' &&
          line.identifier === 'camera:video0',
      ),
    );

    const { status, text } = await engine.get('/metrics');
    assert.equal(status, 200);
    assert.match(text, /^engine_build_info\{version="[^"]+",node="v\d+\.\d+\.\d+"\} 1$/m);
    assert.ok(sample(text, 'engine_process_resident_memory_bytes')! > 1e6);
    assert.ok(sample(text, 'engine_process_cpu_seconds_total')! > 0);
    assert.ok(sample(text, 'engine_event_loop_lag_seconds')! >= 0);
    assert.ok(sample(text, 'engine_last_delivery_timestamp_seconds{backend="stdout"}')! >= Math.floor(before));
    assert.match(text, /^# TYPE engine_delivery_duration_seconds histogram$/m);
    assert.match(text, /^engine_delivery_duration_seconds_bucket\{backend="stdout",le="\+Inf"\} 1$/m);
    assert.match(text, /^engine_delivery_duration_seconds_count\{backend="stdout"\} 1$/m);
    assert.match(text, /^# TYPE engine_probes_total counter$/m);
    assert.equal(sample(text, 'engine_devices_matched'), 1);
  } finally {
    await engine.stop();
    rmSync(space.root, { recursive: true, force: true });
  }
});
