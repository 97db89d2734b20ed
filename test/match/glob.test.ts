import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileGlob, globBase, type GlobKind } from '../../engine/match/glob.js';

/** Whether `pattern` (which must compile) matches `value`. */
function matches(pattern: string, kind: GlobKind, value: string): boolean {
  const compiled = compileGlob(pattern, kind);
  assert.ok(compiled.ok, `${kind} glob ${pattern} should compile: ${compiled.ok ? '' : compiled.reason}`);
  return compiled.regex.test(value);
}

/** Asserts each `[value, expected]` pair against one pattern, reporting all misses together. */
function check(pattern: string, kind: GlobKind, cases: [string, boolean][]): void {
  const wrong = cases.filter(([value, expected]) => matches(pattern, kind, value) !== expected);
  assert.deepEqual(wrong, [], `${kind} glob ${JSON.stringify(pattern)} got these wrong (value, expected)`);
}

describe('path globs', () => {
  test('`*` and `?` stay within one segment', () => {
    check('/dev/ttyACM*', 'path', [
      ['/dev/ttyACM0', true],
      ['/dev/ttyACM12', true],
      ['/dev/ttyACM', true],
      ['/dev/ttyACM0/x', false],
      ['/dev/ttyUSB0', false],
      ['/dev/ttyacm0', false],
    ]);
    check('/dev/*', 'path', [
      ['/dev/video0', true],
      ['/dev/.hidden', true],
      ['/dev/v4l/by-id', false],
    ]);
    check('/dev/tty?', 'path', [
      ['/dev/ttyS', true],
      ['/dev/tty', false],
      ['/dev/ttyS0', false],
      ['/dev/tty/', false],
    ]);
  });

  test('`**` crosses segments, including none', () => {
    check('/dev/**/video*', 'path', [
      ['/dev/video0', true],
      ['/dev/v4l/video0', true],
      ['/dev/a/b/c/video1', true],
      ['/sys/video0', false],
    ]);
    check('/dev/**', 'path', [
      ['/dev/a/b', true],
      ['/devx/a', false],
    ]);
  });

  test('braces and bracket sets', () => {
    check('/dev/{video,media}*', 'path', [
      ['/dev/video0', true],
      ['/dev/media1', true],
      ['/dev/vbi0', false],
    ]);
    check('/dev/ttyUSB[0-3]', 'path', [
      ['/dev/ttyUSB0', true],
      ['/dev/ttyUSB3', true],
      ['/dev/ttyUSB4', false],
      ['/dev/ttyUSB10', false],
    ]);
    check('/dev/ttyUSB[^0-3]', 'path', [
      ['/dev/ttyUSB5', true],
      ['/dev/ttyUSB0', false],
    ]);
  });

  test('`[!...]` negates a set, as in every shell', () => {
    check('/dev/ttyUSB[!0-3]', 'path', [
      ['/dev/ttyUSB5', true],
      ['/dev/ttyUSBa', true],
      ['/dev/ttyUSB0', false],
      ['/dev/ttyUSB3', false],
      ['/dev/ttyUSB', false],
      ['/dev/ttyUSB5/x', false],
    ]);
  });

  test('a literal path matches only itself', () => {
    check('/dev/video0', 'path', [
      ['/dev/video0', true],
      ['/dev/video01', false],
      ['/dev/video', false],
    ]);
  });

  test('invalid patterns give ok:false with a reason', () => {
    for (const pattern of ['/dev/ttyUSB[0-3', '/dev/ttyUSB[3-0]']) {
      const compiled = compileGlob(pattern, 'path');
      assert.equal(compiled.ok, false, pattern);
      assert.ok(!compiled.ok && compiled.reason.length > 0);
    }
  });

  test('globBase is the folder every match lies under', () => {
    assert.equal(globBase('/dev/ttyACM*'), '/dev');
    assert.equal(globBase('/tmp/x/v4l/by-id/usb-*-index0'), '/tmp/x/v4l/by-id');
    assert.equal(globBase('/dev/{a,b}/c'), '/dev');
    assert.equal(globBase('/dev/**'), '/dev');
    assert.equal(globBase('/*'), '/');
    assert.equal(globBase('/dev/video0'), '/dev/video0');
  });
});

describe('text globs', () => {
  test('case-insensitive, `*` crosses slashes, `?` is any one character', () => {
    check('u-blox*', 'text', [
      ['u-blox AG', true],
      ['U-BLOX AG - www.u-blox.com', true],
      ['u-blo', false],
      ['xu-blox', false],
    ]);
    check('*GPS*', 'text', [
      ['USB/GPS receiver', true],
      ['gps', true],
      ['GNSS', false],
    ]);
    check('a?c', 'text', [
      ['a/c', true],
      ['abc', true],
      ['ac', false],
    ]);
    check('*', 'text', [['line one\nline two', true]]);
  });

  test('parentheses and regex metacharacters stand for themselves', () => {
    check('Prolific (R)*', 'text', [
      ['Prolific (R) USB-Serial', true],
      ['Prolific R USB-Serial', false],
    ]);
    check('a.c', 'text', [
      ['a.c', true],
      ['abc', false],
    ]);
    check('a+|b', 'text', [
      ['a+|b', true],
      ['aa', false],
      ['b', false],
    ]);
    check('C:\\dev', 'text', [['C:\\dev', true]]);
  });

  test('bracket sets, negated with `!` or `^`, `]` first is a member', () => {
    check('[!a]bc', 'text', [
      ['xbc', true],
      ['abc', false],
      ['Abc', false],
    ]);
    check('[^a]bc', 'text', [
      ['xbc', true],
      ['abc', false],
    ]);
    check('[a-c]x', 'text', [
      ['bx', true],
      ['Bx', true],
      ['dx', false],
    ]);
    check('[]]x', 'text', [
      [']x', true],
      ['x', false],
    ]);
    check('CP210[24]*', 'text', [
      ['CP2102N USB to UART', true],
      ['CP2104', true],
      ['CP2105', false],
    ]);
  });

  test('invalid patterns give ok:false with a reason', () => {
    const unclosed = compileGlob('a[bc', 'text');
    assert.equal(unclosed.ok, false);
    assert.match(!unclosed.ok ? unclosed.reason : '', /position 2/);
    const reversed = compileGlob('[z-a]x', 'text');
    assert.equal(reversed.ok, false);
  });

  test('the same pattern compiles differently per kind', () => {
    assert.equal(matches('/dev/tty*', 'text', '/dev/tty/x'), true);
    assert.equal(matches('/dev/tty*', 'path', '/dev/tty/x'), false);
    assert.equal(matches('/dev/TTY*', 'text', '/dev/tty0'), true);
    assert.equal(matches('/dev/TTY*', 'path', '/dev/tty0'), false);
  });
});
