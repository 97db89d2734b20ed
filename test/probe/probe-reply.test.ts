import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { probeWriteBytes, replyMatcher } from '../../engine/probe/probe-reply.js';

describe('probe replies', () => {
  test('a regex expect reads the reply as Latin-1 text and captures groups', () => {
    const matches = replyMatcher('^\\$G([PN])(GGA|RMC),');
    assert.equal(matches(Buffer.from('$GPGS')), undefined);
    assert.deepEqual(matches(Buffer.from('$GPRMC,123519')), {
      response: '$GPRMC,123519',
      hex: '24 47 50 52 4d 43 2c 31 32 33 35 31 39',
      groups: ['P', 'RMC'],
    });
    assert.deepEqual(replyMatcher('(a)|(b)')(Buffer.from('b'))!.groups, [null, 'b']);
    assert.equal(replyMatcher('\\xff')(Buffer.from([0x41, 0xff]))!.response, 'A\u00ff');
  });

  // The timeout only turns a regression (a backtracking engine, which would run for ages) into a failure.
  test(
    'a regex expect runs in linear time: a catastrophic pattern against a long reply answers',
    { timeout: 60_000 },
    () => {
      const matches = replyMatcher('^(a+)+$');
      // A backtracking engine takes about 2^60 steps here; RE2 reads the reply once.
      assert.equal(matches(Buffer.from(`${'a'.repeat(60)}!`)), undefined);
      assert.deepEqual(matches(Buffer.from('aaa'))!.groups, ['aaa']);
    },
  );

  test('an expect RE2 cannot run is refused with the reason', () => {
    assert.throws(() => replyMatcher('(a)\\1'), /backreference/);
    assert.throws(() => replyMatcher('OK(?=\\r)'), /lookaround/);
  });

  test('a hex expect must occur in the reply; the ?? bytes become the groups', () => {
    const matches = replyMatcher({ hex: '01 03 02 ?? ??' });
    assert.equal(matches(Buffer.from([0x01, 0x03, 0x02, 0x00])), undefined);
    assert.equal(matches(Buffer.from([0x01, 0x04, 0x02, 0x00, 0x07])), undefined);
    const found = matches(Buffer.from([0xff, 0x01, 0x03, 0x02, 0x00, 0x07, 0x99]));
    assert.deepEqual(found, {
      response: '\u00ff\u0001\u0003\u0002\u0000\u0007\u0099',
      hex: 'ff 01 03 02 00 07 99',
      groups: ['00', '07'],
    });
  });

  test('write bytes come from a string as Latin-1 or from hex pairs', () => {
    assert.deepEqual(probeWriteBytes({}), Buffer.alloc(0));
    assert.deepEqual(probeWriteBytes({ write: 'AT\r' }), Buffer.from([0x41, 0x54, 0x0d]));
    assert.deepEqual(
      probeWriteBytes({ write: { hex: '01 03 00 00 00 01 84 0A' } }),
      Buffer.from([1, 3, 0, 0, 0, 1, 0x84, 0x0a]),
    );
  });
});
