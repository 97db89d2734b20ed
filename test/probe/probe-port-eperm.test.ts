// An open refused with EPERM (a container without the device cgroup rules for ttys) is reported
// with the hint to add them, not as a bare "cannot open". The real EPERM here comes from an
// immutable file (chattr +i, as root on ext4): opening it read-write fails the same way.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_PROBE_PORT_OPTIONS, probePort } from '../../engine/probe/probe-port.js';

test('EPERM on opening a port names the device cgroup rules to add', async (t) => {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-eperm-'));
  const port = path.join(folder, 'ttyUSB0');
  writeFileSync(port, '');
  const immutable = spawnSync('chattr', ['+i', port], { encoding: 'utf8' });
  try {
    if (immutable.status !== 0)
      return t.skip(
        `chattr +i needs root and a filesystem that has it: ${immutable.stderr?.trim() || immutable.error?.message}`,
      );
    const outcome = await probePort(port, { expect: 'OK' }, { ...DEFAULT_PROBE_PORT_OPTIONS, lockFolders: [] });
    assert.ok(outcome.kind === 'failed', outcome.kind);
    assert.match(outcome.reason, /Operation not permitted/);
    for (const rule of ['c 188:* rmw', 'c 166:* rmw'])
      assert.ok(outcome.reason.includes(`'${rule}'`), `${rule} in: ${outcome.reason}`);
  } finally {
    spawnSync('chattr', ['-i', port]);
    rmSync(folder, { recursive: true, force: true });
  }
});
