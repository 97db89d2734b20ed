import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandHosts } from '../../../engine/sources/network/tcp-targets.js';

describe('TCP probe hosts', () => {
  test('addresses and host names are taken as they are, once each', () => {
    assert.deepEqual(expandHosts(['127.0.0.1', '::1', 'plc-1.local', '127.0.0.1'], false), {
      hosts: ['127.0.0.1', '::1', 'plc-1.local'],
      refused: [],
    });
  });

  test('a range gives its hosts without network and broadcast addresses', () => {
    assert.deepEqual(expandHosts(['10.0.5.9/30'], false).hosts, ['10.0.5.9', '10.0.5.10']);
    assert.deepEqual(expandHosts(['10.0.5.9/31'], false).hosts, ['10.0.5.8', '10.0.5.9']);
    assert.deepEqual(expandHosts(['10.0.5.9/32'], false).hosts, ['10.0.5.9']);
    const slash24 = expandHosts(['192.168.1.77/24'], false).hosts;
    assert.equal(slash24.length, 254);
    assert.equal(slash24[0], '192.168.1.1');
    assert.equal(slash24.at(-1), '192.168.1.254');
  });

  test('a range wider than a /24 is refused unless allowed, and wider than a /16 always', () => {
    const refused = expandHosts(['10.0.0.0/23', '10.0.0.0/8'], false);
    assert.deepEqual(refused.hosts, []);
    assert.equal(refused.refused.length, 2);
    assert.match(refused.refused[0]!, /allowLargeRanges/);
    const allowed = expandHosts(['10.0.0.0/23', '10.0.0.0/15'], true);
    assert.equal(allowed.hosts.length, 510);
    assert.equal(allowed.refused.length, 1);
    assert.equal(expandHosts(['10.0.0.0/16'], true).hosts.length, 65534);
  });

  test('what is neither an address, a host name nor an IPv4 range is refused', () => {
    const { hosts, refused } = expandHosts(['fe80::/64', 'a b', '10.0.0.1/33', '10.0.0.1/24/1', '-x', 'x.y/24'], false);
    assert.deepEqual(hosts, []);
    assert.equal(refused.length, 6);
  });
});
