import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  classifyNetworkError,
  classifyResponse,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  responseErrorText,
} from '../../engine/backends/shared/http-status.js';

const now = Date.parse('2024-03-01T12:00:00Z');

describe('parseRetryAfter', () => {
  test('delay-seconds become milliseconds', () => {
    assert.equal(parseRetryAfter('7', now), 7000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('120', now), 120000);
  });

  test('an HTTP date is the time left until it; a past date is 0', () => {
    assert.equal(parseRetryAfter('Fri, 01 Mar 2024 12:00:30 GMT', now), 30000);
    assert.equal(parseRetryAfter('Friday, 01-Mar-24 12:01:00 GMT', now), 60000);
    assert.equal(parseRetryAfter('Fri, 01 Mar 2024 11:00:00 GMT', now), 0);
  });

  test('waits are capped at one hour', () => {
    assert.equal(MAX_RETRY_AFTER_MS, 3600000);
    assert.equal(parseRetryAfter('86400', now), 3600000);
    assert.equal(parseRetryAfter('Sat, 02 Mar 2024 12:00:00 GMT', now), 3600000);
  });

  test('absent or garbage is undefined', () => {
    for (const header of [null, '', 'soon', '-5', '1.5', '7s', '0x10', 'Fri, 99 Foo 2024']) {
      assert.equal(parseRetryAfter(header, now), undefined, JSON.stringify(header));
    }
  });
});

describe('classifyResponse', () => {
  const none = new Headers();
  const json = (error: string) => JSON.stringify({ error });

  test('2xx is acknowledged', () => {
    for (const status of [200, 201, 204])
      assert.deepEqual(classifyResponse(status, none, ''), { outcome: 'acknowledged' });
  });

  test('408, 425, 429 and 5xx are retries, honouring Retry-After', () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504]) {
      assert.deepEqual(classifyResponse(status, none, ''), { outcome: 'retry', reason: `HTTP ${status}` });
    }
    assert.deepEqual(classifyResponse(429, new Headers({ 'retry-after': '12' }), json('slow down')), {
      outcome: 'retry',
      reason: 'HTTP 429: slow down',
      afterMs: 12000,
    });
    assert.deepEqual(classifyResponse(503, new Headers({ 'retry-after': 'whenever' }), ''), {
      outcome: 'retry',
      reason: 'HTTP 503',
    });
  });

  test('other 4xx and unfollowed redirects are permanent, with the server error text', () => {
    assert.deepEqual(classifyResponse(400, none, json('Peripheral identifier missing')), {
      outcome: 'permanent',
      reason: 'HTTP 400: Peripheral identifier missing',
    });
    for (const status of [401, 403, 404, 409, 422, 301])
      assert.equal(classifyResponse(status, none, '').outcome, 'permanent');
  });
});

describe('responseErrorText', () => {
  test('takes error or message from JSON, else the text', () => {
    assert.equal(responseErrorText('{"error":"not found"}'), 'not found');
    assert.equal(responseErrorText('{"status":409,"message":"conflict"}'), 'conflict');
    assert.equal(responseErrorText('plain\n  text '), 'plain text');
    assert.equal(responseErrorText('{"other":1}'), '{"other":1}');
  });

  test('drops HTML pages and truncates long text', () => {
    assert.equal(responseErrorText('<html><body>502 Bad Gateway</body></html>'), '');
    const long = responseErrorText('x'.repeat(1000));
    assert.equal(long.length, 200);
    assert.ok(long.endsWith('…'));
  });
});

describe('classifyNetworkError', () => {
  const fetchFailure = (cause: unknown) => new TypeError('fetch failed', { cause });
  const coded = (code: string, message = `connect ${code} http://user:secret@host/x?token=abc`) =>
    Object.assign(new Error(message), { code });

  test('timeouts, refused and reset connections, DNS failures are retries with short reasons', () => {
    assert.deepEqual(
      classifyNetworkError(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      {
        outcome: 'retry',
        reason: 'timed out',
      },
    );
    assert.deepEqual(classifyNetworkError(fetchFailure(coded('ECONNREFUSED'))), {
      outcome: 'retry',
      reason: 'connection refused',
    });
    assert.deepEqual(classifyNetworkError(fetchFailure(coded('ECONNRESET'))), {
      outcome: 'retry',
      reason: 'connection closed by the server',
    });
    assert.deepEqual(classifyNetworkError(fetchFailure(coded('ENOTFOUND'))), {
      outcome: 'retry',
      reason: 'host not found (DNS)',
    });
    // The host looked up is named (as Node's resolver reports it), never the URL around it.
    const lookup = Object.assign(coded('ENOTFOUND', 'getaddrinfo ENOTFOUND agent'), { hostname: 'agent' });
    assert.deepEqual(classifyNetworkError(fetchFailure(lookup)), {
      outcome: 'retry',
      reason: 'host not found (DNS): agent',
    });
    assert.deepEqual(classifyNetworkError(fetchFailure(coded('UND_ERR_CONNECT_TIMEOUT'))), {
      outcome: 'retry',
      reason: 'timed out connecting',
    });
  });

  test('finds the code inside an AggregateError (happy eyeballs)', () => {
    const aggregate = new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]);
    assert.deepEqual(classifyNetworkError(fetchFailure(aggregate)), { outcome: 'retry', reason: 'connection refused' });
  });

  test('anything else is a generic retry that never repeats the message', () => {
    assert.deepEqual(classifyNetworkError(fetchFailure(coded('EWEIRD'))), {
      outcome: 'retry',
      reason: 'network error (EWEIRD)',
    });
    const secret = new Error('GET http://host/x?token=abc failed: Authorization: Bearer abc');
    assert.deepEqual(classifyNetworkError(secret), { outcome: 'retry', reason: 'network error' });
    assert.deepEqual(classifyNetworkError('string thrown'), { outcome: 'retry', reason: 'network error' });
  });
});
