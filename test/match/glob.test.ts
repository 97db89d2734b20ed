import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileGlob, globBase, pathGlobReach, type GlobKind } from '../../engine/match/glob.js';

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
      ['/dev/Video0', false],
      ['/dev/video0\n', false],
    ]);
    // Compared as a string, not as a pattern: regex characters are themselves, nothing more.
    check('/dev/serial/by-id/usb-A_(1)+.x$^|é', 'path', [
      ['/dev/serial/by-id/usb-A_(1)+.x$^|é', true],
      ['/dev/serial/by-id/usb-A_(1)+.x$^|e', false],
      ['/dev/serial/by-id/usb-A_1+.x$^|é', false],
      ['/dev/serial/by-id/usb-A_(1)+Ax$^|é', false],
    ]);
    check('/dev/\u{1F600}', 'path', [
      ['/dev/\u{1F600}', true],
      ['/dev/x', false],
    ]);
  });

  test('braces nest and hold globs; a brace without a comma is literal; `\\` escapes', () => {
    check('/dev/{tty{USB,ACM},video}[0-9]', 'path', [
      ['/dev/ttyUSB0', true],
      ['/dev/ttyACM1', true],
      ['/dev/video2', true],
      ['/dev/tty3', false],
    ]);
    check('/dev/{a*,b?}/x', 'path', [
      ['/dev/abc/x', true],
      ['/dev/bc/x', true],
      ['/dev/b/x', false],
      ['/dev/a/b/x', false],
    ]);
    check('/x/{a}', 'path', [
      ['/x/{a}', true],
      ['/x/a', false],
    ]);
    check('/x/\\*', 'path', [
      ['/x/*', true],
      ['/x/a', false],
    ]);
    check('/x/[!a]', 'path', [
      ['/x/b', true],
      ['/x/a', false],
      ['/x//', false],
    ]);
  });

  test('invalid patterns give ok:false with a reason', () => {
    for (const pattern of ['/dev/ttyUSB[0-3', '/dev/ttyUSB[3-0]', '/dev/x\\']) {
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

  test('the watch base is read with the grammar of the matcher: escapes removed, a brace without a comma literal', () => {
    const reach = (pattern: string) => pathGlobReach(pattern);
    assert.deepEqual(reach('/dev/a\\*b/dev0'), { base: '/dev/a*b/dev0', literal: true, levels: 0 });
    assert.deepEqual(reach('/dev/a\\*b/*'), { base: '/dev/a*b', literal: false, levels: 1 });
    assert.deepEqual(reach('/dev/{x}/c'), { base: '/dev/{x}/c', literal: true, levels: 0 });
    assert.deepEqual(reach('/dev/[ab]/c'), { base: '/dev', literal: false, levels: 2 });
    assert.deepEqual(reach('/dev/{a,b/c}/d'), { base: '/dev', literal: false, levels: 3 });
    assert.deepEqual(reach('/dev/**/x'), { base: '/dev', literal: false, levels: undefined });
    // A path with no wildcard and no escape is its own base, trailing slashes dropped as the
    // segment reading drops them.
    assert.deepEqual(reach('/dev/ttyUSB0'), { base: '/dev/ttyUSB0', literal: true, levels: 0 });
    assert.deepEqual(reach('/dev//x/'), { base: '/dev//x', literal: true, levels: 0 });
    assert.deepEqual(reach('//'), { base: '/', literal: true, levels: 0 });
    assert.deepEqual(reach('/dev/{x}/c/'), reach('/dev/{x}/c'), 'the same, read segment by segment');
    // What the base names is what the matcher takes literally.
    const compiled = compileGlob('/dev/a\\*b/dev0', 'path');
    assert.ok(compiled.ok && compiled.regex.test('/dev/a*b/dev0') && !compiled.regex.test('/dev/aXb/dev0'));
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

  test('bracket sets, negated with `!` (not `^`), `]` first is a member', () => {
    check('[!a]bc', 'text', [
      ['xbc', true],
      ['abc', false],
      ['Abc', false],
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

  test('a reversed range is an error; an unclosed `[` is literal, with a warning', () => {
    const unclosed = compileGlob('a[bc', 'text');
    assert.ok(unclosed.ok);
    assert.match(unclosed.warnings.join(), /position 2/);
    assert.equal(unclosed.regex.test('a[bc'), true);
    assert.equal(unclosed.regex.test('ab'), false);
    const reversed = compileGlob('[z-a]x', 'text');
    assert.equal(reversed.ok, false);
    const closed = compileGlob('[ab]*', 'text');
    assert.deepEqual(closed.ok && closed.warnings, []);
  });

  /*
   * fnmatch's semantics (Python's fnmatch.fnmatch on lowercased text, as Home Assistant matches),
   * case by case: the table in docs/writing-profiles.md, "Globs". Each expectation was checked
   * against CPython 3 `fnmatch.fnmatchcase(value.lower(), pattern.lower())`.
   */
  const FNMATCH_TABLE: [pattern: string, value: string, expected: boolean][] = [
    ['*', '', true],
    ['*', 'anything at all', true],
    ['?', '', false],
    ['?', 'x', true],
    ['*z-wave*', 'HubZ Z-Wave Com Port', true],
    ['*zigbee*', 'HubZ Z-Wave Com Port', false],
    ['[!]x]', ']', false],
    ['[!]x]', 'x', false],
    ['[!]x]', 'a', true],
    ['[]x]', ']', true],
    ['[]x]', 'x', true],
    ['[]]', ']', true],
    ['[]', '[]', true],
    ['[!]', '[!]', true],
    ['[^a]', 'b', false],
    ['[^a]', '^', true],
    ['[^a]', 'a', true],
    ['a[b', 'a[b', true],
    ['a[b', 'ab', false],
    ['[a-c]', 'b', true],
    ['[a-]', '-', true],
    ['[-a]', '-', true],
    ['[a-c-e]', '-', true],
    ['[a-c-e]', 'd', false],
    ['[a-c-e]', 'e', true],
    ['[!a-c]', 'd', true],
    ['[!a-c]', 'b', false],
    ['[*]', '*', true],
    ['[*]', 'x', false],
    ['[?]', '?', true],
    ['[\\]', '\\', true],
    ['\\*', '\\x', true],
    ['\\*', '*', false],
    ['a\\[b]', 'a\\b', true],
    ['(x)|y', '(x)|y', true],
    ['.', 'x', false],
    ['$^', '$^', true],
    ['{a,b}', 'a', false],
    ['{a,b}', '{a,b}', true],
    ['*\n', 'line\n', true],
    ['ZIGBEE*', 'zigbee dongle', true],
    ['[Z]igbee', 'zigbee', true],
    ['é*', 'É', true],
    ['?', '😀', true],
  ];

  test('fnmatch semantics, case by case', () => {
    const wrong = FNMATCH_TABLE.filter(([pattern, value, expected]) => matches(pattern, 'text', value) !== expected);
    assert.deepEqual(wrong, [], 'these (pattern, value, expected) came out the other way');
  });

  test('a glob with many stars meets a long string in linear time (re2js), for text and path', () => {
    // Backtracking would take about 60^13 steps here; a linear engine answers at once. The test
    // has no timer: a backtracking engine would simply never finish it.
    const value = 'a'.repeat(60);
    assert.equal(matches('*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'text', value), false);
    assert.equal(matches('/*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'path', `/${value}`), false);
    assert.equal(matches('/**/*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'path', `/${'a/'.repeat(30)}${value}`), false);
  });

  test('the same pattern compiles differently per kind', () => {
    assert.equal(matches('/dev/tty*', 'text', '/dev/tty/x'), true);
    assert.equal(matches('/dev/tty*', 'path', '/dev/tty/x'), false);
    assert.equal(matches('/dev/TTY*', 'text', '/dev/tty0'), true);
    assert.equal(matches('/dev/TTY*', 'path', '/dev/tty0'), false);
  });
});
