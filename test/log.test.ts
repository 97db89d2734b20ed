// Logs: JSON lines by default, readable lines with --log-format pretty, and a warning repeated
// by one component written once per window with the count of those left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, WARNING_WINDOW_MS } from '../engine/core/log.js';

test('a repeated warning is written once per window, then with the count left out', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const delivery = log.child({ backend: 'nuvlabox', identifier: 'gps-1' });
  for (let failures = 1; failures <= 50; failures++)
    delivery.warn('delivery failed, will retry', { reason: 'connection refused', failures, retryInMs: failures * 10 });
  // Another identifier, another reason, or another level is not a repeat.
  log
    .child({ backend: 'nuvlabox', identifier: 'gps-2' })
    .warn('delivery failed, will retry', { reason: 'connection refused', failures: 1 });
  delivery.warn('delivery failed, will retry', { reason: '503 Service Unavailable', failures: 51 });
  delivery.error('delivery failed permanently', { reason: 'x' });
  delivery.error('delivery failed permanently', { reason: 'x' });
  assert.deepEqual(
    lines.map((line) => [line.level, line.identifier, line.reason]),
    [
      ['warn', 'gps-1', 'connection refused'],
      ['warn', 'gps-2', 'connection refused'],
      ['warn', 'gps-1', '503 Service Unavailable'],
      ['error', 'gps-1', 'x'],
      ['error', 'gps-1', 'x'],
    ],
  );
  t.mock.timers.setTime(1_000_000 + WARNING_WINDOW_MS);
  delivery.warn('delivery failed, will retry', { reason: 'connection refused', failures: 60 });
  assert.deepEqual([lines.at(-1)!.failures, lines.at(-1)!.suppressedRepeats], [60, 49]);
});

test('profile problems with one message but different files or positions are all written', () => {
  const lines: string[] = [];
  const log = createLogger('info', (line) => lines.push(line));
  log.warn('profile problem', { file: 'a.yaml', line: 3, message: 'unknown key' });
  log.warn('profile problem', { file: 'a.yaml', line: 9, message: 'unknown key' });
  log.warn('profile problem', { file: 'b.yaml', line: 3, message: 'unknown key' });
  assert.equal(lines.length, 3);
});

test('--log-format pretty: time, level, message, then fields as key=value', () => {
  const lines: string[] = [];
  createLogger('debug', (line) => lines.push(line), { backend: 'stdout' }, 'pretty').info('device matched', {
    device: 'file:/dev/video0',
    profile: 'webcam',
    note: 'two words',
  });
  assert.match(
    lines[0]!,
    /^\d\d:\d\d:\d\d\.\d{3} INFO  device matched {2}backend=stdout device=file:\/dev\/video0 profile=webcam note="two words"\n$/,
  );
});
