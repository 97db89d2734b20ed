// `engine new network:mdns:<instance>`: a profile for a peripheral heard over mDNS (published by
// a real python-zeroconf responder in the suite's network namespace), which validates without a
// warning, passes its own test and maps the peripheral as NuvlaEdge's network manager does.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { CLI } from '../paths.js';
import { outsideTestNetns, TEST_INTERFACE } from './netns.js';
import { publishWithZeroconf, zeroconfMissing } from './zeroconf-publisher.js';

const skip = outsideTestNetns || zeroconfMissing() || false;

function engine(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('engine new makes a working profile for a service heard over mDNS', { skip }, async () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-new-network-'));
  const config = path.join(folder, 'engine.yaml');
  writeFileSync(config, `sources:\n  network: { interfaces: [${TEST_INTERFACE}] }\n`);
  const service = await publishWithZeroconf('Hall Printer', '_ipp._tcp', 631, 120, { ty: 'Hall LaserJet' });
  try {
    const key = 'network:mdns:Hall Printer._ipp._tcp.local';
    const made = engine(['new', key, '--config', config]);
    assert.equal(made.status, 0, made.stderr);
    const profile = parse(made.stdout) as Record<string, Record<string, unknown>>;
    assert.deepEqual(profile.detect, { network: { mdns: { type: '_ipp._tcp' } } });
    assert.equal(profile.map!.interface, 'Bonjour/Avahi');
    assert.deepEqual(profile.map!.classes, ['ipp']);
    const profiles = path.join(folder, 'profiles');
    mkdirSync(profiles);
    writeFileSync(path.join(profiles, `${String(profile.name)}.yaml`), made.stdout);
    const validated = engine(['validate', '--strict', profiles]);
    assert.equal(validated.status, 0, validated.stdout + validated.stderr);
    const tested = engine(['test', profiles]);
    assert.equal(tested.status, 0, tested.stdout + tested.stderr);
  } finally {
    await service.withdraw();
    rmSync(folder, { recursive: true, force: true });
  }
});

test('engine new refuses a TCP key, which announces nothing, and an mDNS key without a service type', () => {
  const tcp = engine(['new', 'network:tcp:192.0.2.1:502']);
  assert.equal(tcp.status, 2);
  assert.match(tcp.stderr, /announces nothing/);
  const bare = engine(['new', 'network:mdns:printer']);
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /service instance/);
});
