import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../../engine/core/log.js';
import type { Announcement } from '../../../engine/sources/network/discovery.js';
import { NetworkPresence } from '../../../engine/sources/network/network-presence.js';

const announcement = (protocol: Announcement['protocol'], id: string, addresses: string[]): Announcement => ({
  protocol,
  id,
  addresses,
  facts: {},
  freshMs: 60_000,
});

test('the hosts a TCP probe may confirm: one on-link address per peripheral the other protocols hear, never its own finds', () => {
  const presence = new NetworkPresence(
    () => undefined,
    () => undefined,
    createLogger('error'),
    100,
  );
  try {
    // A dual-stack printer over mDNS, a camera whose WS-Discovery XAddrs claim an off-link host too.
    presence.heard(announcement('mdns', 'Office Printer._ipp._tcp', ['192.168.1.20', 'fe80::1']));
    presence.heard(announcement('wsd', 'urn:uuid:cam', ['10.9.9.9', '192.168.1.30']));
    // What the probe itself found, under the address it connected to.
    presence.heard(announcement('tcp', 'plc.local:502', ['192.168.1.40']));
    const onLink = (address: string) => address.startsWith('192.168.1.');
    assert.deepEqual(presence.hostsHeard('tcp', onLink).sort(), ['192.168.1.20', '192.168.1.30']);
  } finally {
    presence.clear();
  }
});
