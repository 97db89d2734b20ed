// The profile reader gives the right answer for every kind of entry a profiles folder may hold:
// a FIFO never blocks it, a link to a device is refused, a file over the cap is refused without
// being read whole.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MAX_PROFILE_BYTES, readProfileFileSync, type ReadProfile } from '../../engine/profiles/read-profile-file.js';

/** What a read says, without the file name in the message. */
const outcome = (read: ReadProfile) =>
  'text' in read
    ? { text: read.text }
    : 'gone' in read
      ? 'gone'
      : { code: read.issue.code, special: read.special === true };

test('the reader tells text, absence, folders, FIFOs, devices and files over the cap apart', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'read-profile-'));
  try {
    const at = (name: string) => path.join(folder, name);
    writeFileSync(at('plain.yaml'), 'name: plain\n');
    writeFileSync(at('empty.yaml'), '');
    writeFileSync(at('unicode.yaml'), 'name: café ☕\n');
    writeFileSync(at('at-cap.yaml'), 'a'.repeat(MAX_PROFILE_BYTES));
    writeFileSync(at('over-cap.yaml'), 'a'.repeat(MAX_PROFILE_BYTES + 1));
    mkdirSync(at('folder.yaml'));
    execFileSync('mkfifo', [at('fifo.yaml')]);
    symlinkSync('/dev/zero', at('zero.yaml'));
    const expected: Record<string, unknown> = {
      'plain.yaml': { text: 'name: plain\n' },
      'empty.yaml': { text: '' },
      'unicode.yaml': { text: 'name: café ☕\n' },
      'at-cap.yaml': { text: 'a'.repeat(MAX_PROFILE_BYTES) },
      'over-cap.yaml': { code: 'file-too-large', special: false },
      'folder.yaml': 'gone',
      'missing.yaml': 'gone',
      'fifo.yaml': { code: 'read-error', special: true },
      'zero.yaml': { code: 'read-error', special: true },
    };
    for (const [name, want] of Object.entries(expected)) {
      assert.deepEqual(outcome(readProfileFileSync(at(name))), want, `readProfileFileSync ${name}`);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
