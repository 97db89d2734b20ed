// DNS-SD services as the mDNS records build them (pure, time given): resolved instances, TTLs,
// goodbyes, cache-flush, what is dropped, and the bounds a flood meets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMessage } from '../../engine/sources/network/dns-message.js';
import { MAX_INSTANCES, MdnsServices } from '../../engine/sources/network/mdns-services.js';
import { mdnsMismatch } from '../../engine/sources/network/mdns.js';
import { txtFacts } from '../../engine/sources/network/mdns-txt.js';
import { responsePacket, serviceRecords, TYPE, type RawRecord } from '../network/mdns-packets.js';

const IPP = ['_ipp', '_tcp'];
const records = (raw: RawRecord[]) => decodeMessage(responsePacket(raw))!.records;

describe('mDNS services', () => {
  test('an instance announced whole is one announcement, fresh for its shortest TTL', () => {
    const services = new MdnsServices(['_ipp._tcp']);
    const raw = serviceRecords('Office', IPP, { port: 631, txt: ['ty=Laser', 'Color=T', 'duplex'] });
    raw[1]!.ttl = 30;
    const { changed, left } = services.apply(records(raw), 1000);
    assert.deepEqual(left, []);
    assert.equal(changed.length, 1);
    assert.deepEqual(services.missing(changed[0]!, 1000), []);
    assert.deepEqual(services.announcement(changed[0]!, 1000), {
      protocol: 'mdns',
      id: 'Office._ipp._tcp.local',
      addresses: ['127.0.0.1'],
      host: 'peer.local',
      port: 631,
      facts: {
        type: '_ipp._tcp',
        instance: 'Office',
        name: 'Office._ipp._tcp.local',
        txt: { ty: 'Laser', color: 'T', duplex: true },
      },
      freshMs: 30_000,
    });
  });

  test('a goodbye (TTL 0) says the instance left; records of types no profile names are dropped', () => {
    const services = new MdnsServices(['_ipp._tcp']);
    services.apply(records(serviceRecords('Office', IPP)), 0);
    assert.deepEqual(
      services.apply(records(serviceRecords('Other', ['_http', '_tcp'], { host: 'web' })), 0).changed,
      [],
    );
    const goodbye = serviceRecords('Office', IPP, { ttl: 0 }).slice(0, 1);
    assert.deepEqual(services.apply(records(goodbye), 10), { changed: [], left: ['Office._ipp._tcp.local'] });
    assert.equal(services.announcement('office._ipp._tcp.local', 10), undefined);
  });

  test('a type no longer named: its instances are forgotten and said left', () => {
    const services = new MdnsServices(['_ipp._tcp']);
    services.apply(records(serviceRecords('Office', IPP)), 0);
    assert.deepEqual(services.setTypes(['_http._tcp']), ['Office._ipp._tcp.local']);
  });

  test('a cache-flush address record replaces the old address: the instance changes', () => {
    const services = new MdnsServices(['_ipp._tcp']);
    const [key] = services.apply(records(serviceRecords('Office', IPP, { address: '10.0.0.1' })), 0).changed;
    const moved = serviceRecords('Office', IPP, { address: '10.0.0.2' }).slice(3);
    assert.deepEqual(services.apply(records(moved), 5000).changed, [key]);
    assert.deepEqual(services.announcement(key!, 5000)!.addresses, ['10.0.0.2']);
  });

  test('an instance without SRV is not announced; one without TXT or address says what it misses', () => {
    const services = new MdnsServices(['_ipp._tcp']);
    const [key] = services.apply(records(serviceRecords('Office', IPP).slice(0, 1)), 0).changed;
    assert.equal(services.announcement(key!, 0), undefined);
    assert.deepEqual(
      services.missing(key!, 0).map((item) => item.what),
      ['SRV', 'TXT'],
    );
    services.apply(records(serviceRecords('Office', IPP).slice(1, 2)), 0);
    assert.deepEqual(
      services.missing(key!, 0).map((item) => item.what),
      ['TXT', 'A'],
    );
  });

  test(`a flood of made-up instances holds at most ${MAX_INSTANCES}`, () => {
    const services = new MdnsServices(['_ipp._tcp']);
    for (let index = 0; index < MAX_INSTANCES + 500; index += 1)
      services.apply(
        records([
          {
            name: [...IPP, 'local'],
            type: TYPE.PTR,
            ttl: 120,
            data: Buffer.from(`\x05i${String(index).padStart(4, '0')}\xc0\x0c`, 'latin1'),
          },
        ]),
        0,
      );
    let held = 0;
    for (let index = 0; index < MAX_INSTANCES + 500; index += 1)
      if (services.missing(`i${String(index).padStart(4, '0')}._ipp._tcp.local`, 0).length > 0) held += 1;
    assert.equal(held, MAX_INSTANCES);
  });

  test('TXT facts: first of a repeated key, keys lowercased, bounded, no prototype keys', () => {
    const facts = txtFacts(['A=1', 'a=2', '=x', '__proto__=y', '', 'flag'].map((entry) => Buffer.from(entry)));
    assert.deepEqual(facts, { a: '1', flag: true });
    const huge = txtFacts(Array.from({ length: 64 }, (_, index) => Buffer.from(`k${index}=${'v'.repeat(250)}`)));
    assert.ok(JSON.stringify(huge).length < 5000);
  });

  test('the detect block: type, instance glob, TXT globs', () => {
    const facts = { type: '_zigbee-coordinator._tcp', instance: 'SLZB-06', txt: { radio_type: 'znp', flag: true } };
    assert.equal(
      mdnsMismatch({ type: '_zigbee-coordinator._tcp', txt: { RADIO_TYPE: 'z?p', flag: '*' } }, facts),
      undefined,
    );
    assert.equal(mdnsMismatch({ type: '_zigbee-coordinator._tcp', instance: 'slzb-*' }, facts), undefined);
    assert.match(mdnsMismatch({ type: '_ipp._tcp' }, facts)!, /network\.mdns\.type/);
    assert.match(
      mdnsMismatch({ type: '_zigbee-coordinator._tcp', txt: { radio_type: 'ezsp' } }, facts)!,
      /txt\.radio_type/,
    );
    assert.match(mdnsMismatch({ type: '_zigbee-coordinator._tcp', txt: { flag: 'yes' } }, facts)!, /txt\.flag/);
  });
});
