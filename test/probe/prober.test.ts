import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../engine/core/log.js';
import type { ProbeOutcome } from '../../engine/probe/probe-port.js';
import { Prober } from '../../engine/probe/prober.js';
import type { LoadedProfile } from '../../engine/profiles/profile.js';
import type { SerialProbe } from '../../engine/sources/serial/serial-detect.js';
import { profileFromYaml, yaml } from '../match/profile-text.js';

const probing = (name: string, expect: string, priority = 0): LoadedProfile =>
  profileFromYaml(
    yaml(
      `name: ${name}`,
      `priority: ${priority}`,
      'detect:',
      '  serial:',
      '    path: /dev/tty*',
      '    probe:',
      `      expect: "${expect}"`,
      'map: { classes: [x] }',
      'notify: [{ backend: stdout }]',
    ),
  );

/** A fake port: each probe takes `ms`, answers by the expect string, and records overlaps. */
function fakePorts(answers: Record<string, ProbeOutcome['kind']>, ms = 30) {
  const log: string[] = [];
  let open = 0;
  let maxOpen = 0;
  const perPath = new Map<string, number>();
  // Checked by the tests, not thrown here: the prober turns a throwing probe into a failed one.
  const overlaps: string[] = [];
  const probe = async (path: string, spec: SerialProbe): Promise<ProbeOutcome> => {
    perPath.set(path, (perPath.get(path) ?? 0) + 1);
    if (perPath.get(path) !== 1) overlaps.push(path);
    open++;
    maxOpen = Math.max(maxOpen, open);
    log.push(`${path} ${String(spec.expect)}`);
    await sleep(ms);
    open--;
    perPath.set(path, 0);
    const kind = answers[`${path} ${String(spec.expect)}`] ?? 'no-match';
    if (kind === 'matched') return { kind, facts: { response: 'OK', hex: '4f 4b', groups: [] } };
    return { kind, reason: kind } as ProbeOutcome;
  };
  return { probe, log, maxOpen: () => maxOpen, overlaps };
}

const quiet = createLogger('error', () => undefined);

async function settled(prober: Prober, keys: string[], profiles: LoadedProfile[]) {
  for (let i = 0; i < 200; i++) {
    const records = keys.flatMap((key) => prober.records(key));
    if (records.length >= keys.length && records.every((record) => !['waiting', 'probing'].includes(record.state)))
      return;
    await sleep(10);
  }
  assert.fail(`probes did not settle: ${JSON.stringify(keys.map((key) => prober.records(key)))} ${profiles.length}`);
}

describe('Prober', () => {
  test('candidates go one after another in precedence order until one matches', async () => {
    const first = probing('first', 'A', 2);
    const second = probing('second', 'B', 1);
    const third = probing('third', 'C', 0);
    const ports = fakePorts({ '/dev/ttyUSB0 B': 'matched' });
    let results = 0;
    const prober = new Prober({ log: quiet, onResult: () => results++, probe: ports.probe });
    prober.want('k0', '/dev/ttyUSB0', [first, second, third]);
    await settled(prober, ['k0'], [first]);
    assert.deepEqual(ports.log, ['/dev/ttyUSB0 A', '/dev/ttyUSB0 B']);
    assert.deepEqual(prober.verdict('k0', first), { reason: 'no-match' });
    assert.ok('facts' in prober.verdict('k0', second)!);
    assert.deepEqual(prober.verdict('k0', third), { reason: 'not probed: second matched first' });
    assert.deepEqual(
      prober.records('k0').map((record) => record.state),
      ['no-match', 'matched', 'skipped'],
    );
    assert.equal(results, 2);
    // Asked again (every recompute does): nothing is probed twice.
    prober.want('k0', '/dev/ttyUSB0', [first, second, third]);
    await sleep(50);
    assert.equal(ports.log.length, 2);
    await prober.stop();
  });

  test('one probe at a time per port, ports in parallel up to the limit', async () => {
    const profiles = [probing('a', 'A', 1), probing('b', 'B')];
    const ports = fakePorts({});
    const prober = new Prober({ log: quiet, onResult: () => undefined, probe: ports.probe, concurrency: 3 });
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    keys.forEach((key, index) => prober.want(key, `/dev/ttyUSB${index}`, profiles));
    await settled(prober, keys, profiles);
    assert.equal(ports.log.length, 10);
    assert.equal(ports.maxOpen(), 3);
    assert.deepEqual(ports.overlaps, [], 'two probes at once on one port');
    await prober.stop();
  });

  test('a busy port is retried later; the device going away stops everything', async () => {
    const only = probing('only', 'A');
    let busy = true;
    const calls: string[] = [];
    const prober = new Prober({
      log: quiet,
      onResult: () => undefined,
      busyRetryMs: 100,
      probe: async (path) => {
        calls.push(path);
        return busy
          ? { kind: 'busy', reason: 'locked by process 42' }
          : { kind: 'matched', facts: { response: 'A', hex: '41', groups: [] } };
      },
    });
    prober.want('k0', '/dev/ttyUSB0', [only]);
    await sleep(30);
    assert.deepEqual(prober.verdict('k0', only), { reason: 'locked by process 42; trying again later', pending: true });
    busy = false;
    await sleep(200);
    assert.ok('facts' in prober.verdict('k0', only)!);
    assert.equal(calls.length, 2);
    prober.forget('k0');
    assert.equal(prober.verdict('k0', only), undefined);
    await prober.stop();
  });

  test('a new path under the same key is a new device; an edited probe is probed again', async () => {
    const ports = fakePorts({ '/dev/ttyUSB0 A': 'matched', '/dev/ttyUSB1 A': 'matched', '/dev/ttyUSB1 Z': 'matched' });
    const prober = new Prober({ log: quiet, onResult: () => undefined, probe: ports.probe });
    prober.want('k0', '/dev/ttyUSB0', [probing('p', 'A')]);
    await settled(prober, ['k0'], []);
    prober.want('k0', '/dev/ttyUSB1', [probing('p', 'A')]);
    await settled(prober, ['k0'], []);
    prober.want('k0', '/dev/ttyUSB1', [probing('p', 'Z')]);
    await settled(prober, ['k0'], []);
    assert.deepEqual(ports.log, ['/dev/ttyUSB0 A', '/dev/ttyUSB1 A', '/dev/ttyUSB1 Z']);
    await prober.stop();
  });
});
