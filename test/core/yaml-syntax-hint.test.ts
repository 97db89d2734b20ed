// YAML layout mistakes are explained for a person: the misaligned key is named with the columns
// it may move to, a tab is one error, two keys on one line say what to write instead.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseYamlSource } from '../../engine/core/yaml-source.js';

const issuesOf = (text: string) => parseYamlSource('profile.yaml', text).issues;

test('a misaligned key: named, pointed at, with the columns of the keys around it', () => {
  const [issue, ...more] = issuesOf(
    'name: a\ndetect:\n  usb:\n    vendorId: "1546"\n    manufacturer: "u-blox*"\n   productId: "01a7"\n',
  );
  assert.deepEqual(more, []);
  assert.deepEqual([issue!.code, issue!.line, issue!.col], ['yaml-syntax', 6, 4]);
  assert.match(issue!.message, /`productId` starts at column 4/);
  assert.match(issue!.message, /column 5, beside `manufacturer` \(line 5\)/);
  assert.match(issue!.message, /column 3, beside `usb` \(line 3\)/);
});

test('a tab: one error naming every tabbed line, none for the indentation it throws off', () => {
  const issues = issuesOf('name: a\ndetect:\n  usb:\n\t  vendorId: "1546"\n    productId: "01a7"\n\tx: 1\n');
  assert.equal(issues.length, 1, JSON.stringify(issues));
  assert.deepEqual([issues[0]!.line, issues[0]!.col], [4, 1]);
  assert.match(issues[0]!.message, /tab indents line 4 \(so is line 6\)/);
});

test('two keys on one line: the message shows both ways to write it', () => {
  const [issue] = issuesOf('name: a\ndetect: usb: { vendorId: "1546" }\n');
  assert.deepEqual([issue!.line, issue!.col], [2, 9]);
  assert.match(issue!.message, /`detect: usb:` has two keys on one line/);
  assert.match(issue!.message, /`detect: "usb: \{ vendorId: \\"1546\\" \}"`/);
  assert.match(issue!.message, /`detect: \{ usb: \{ vendorId: "1546" \} \}`/);
});

test('errors without an explanation keep the parser message', () => {
  const [issue] = issuesOf('name: a\nmap: { name: GPS, classes: [gps]\n');
  assert.match(issue!.message, /Flow map/);
});
