// serialport is loaded at the first probe: when it cannot be loaded, a probe reports a
// failed outcome naming why, and the process goes on (no crash, no unhandled rejection).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const HIDE = pathToFileURL(path.join(import.meta.dirname, 'hide-serialport.js')).href;
const CHILD = path.join(import.meta.dirname, '..', 'umockdev', 'serial-probe-child.js');

test('a serialport that cannot be loaded makes the probe fail with the reason', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-no-serialport-'));
  const port = path.join(folder, 'ttyUSB0');
  writeFileSync(port, '');
  try {
    const child = spawnSync(
      process.execPath,
      ['--import', HIDE, CHILD, port, JSON.stringify({ expect: 'OK' }), JSON.stringify({ lockFolders: [] })],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(child.status, 0, child.stderr);
    const { outcome } = JSON.parse(child.stdout) as { outcome: { kind: string; reason: string } };
    assert.equal(outcome.kind, 'failed');
    assert.match(
      outcome.reason,
      /^serialport could not be loaded: Cannot find package 'serialport' \(hidden by the test\)/,
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
