// The DNS message codec of the mDNS protocol, from bytes: what it reads from well-formed
// responses (compressed names too), and that no byte sequence makes it throw, loop or hold more
// than its bounds (malformed kinds written by hand, then random mutations of valid messages).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { decodeMessage, encodeQuery, MAX_RECORDS, RecordType } from '../../engine/sources/network/dns-message.js';
import { nameKey, nameText, readName } from '../../engine/sources/network/dns-name.js';
import { hostilePackets, responsePacket, serviceRecords } from '../network/mdns-packets.js';

const TYPE = ['_ipp', '_tcp'];

describe('DNS message codec', () => {
  test('reads a service announcement: PTR, SRV, TXT, A, with the cache-flush bit', () => {
    const message = decodeMessage(responsePacket(serviceRecords('Office', TYPE, { port: 631, txt: ['ty=Laser'] })))!;
    assert.equal(message.response, true);
    assert.deepEqual(
      message.records.map((record) => [nameText(record.name), record.data.type, record.ttl, record.flush]),
      [
        ['_ipp._tcp.local', 'PTR', 120, false],
        ['Office._ipp._tcp.local', 'SRV', 120, true],
        ['Office._ipp._tcp.local', 'TXT', 120, true],
        ['peer.local', 'A', 120, true],
      ],
    );
    const srv = message.records[1]!.data;
    assert.ok(srv.type === 'SRV' && srv.port === 631 && nameText(srv.target) === 'peer.local');
    const txt = message.records[2]!.data;
    assert.ok(txt.type === 'TXT' && txt.strings[0]!.toString() === 'ty=Laser');
    const a = message.records[3]!.data;
    assert.ok(a.type === 'A' && a.address === '127.0.0.1');
  });

  test('follows a compression pointer backwards, and keeps a dot inside a label apart from a separator', () => {
    // "_ipp._tcp.local" at 0, then "My.Printer" + pointer to 0.
    const first = Buffer.from('\x04_ipp\x04_tcp\x05local\x00', 'latin1');
    const second = Buffer.concat([Buffer.from('\x0aMy.Printer', 'latin1'), Buffer.from([0xc0, 0])]);
    const message = Buffer.concat([first, second]);
    const { name, end } = readName(message, first.length);
    assert.deepEqual(name, ['My.Printer', '_ipp', '_tcp', 'local']);
    assert.equal(end, message.length);
    assert.equal(nameText(name), 'My\\.Printer._ipp._tcp.local');
    assert.equal(nameKey(['OFFICE', 'Local']), 'office.local');
  });

  test('writes a query the reader reads back', () => {
    const query = decodeMessage(encodeQuery([{ name: ['_ipp', '_tcp', 'local'], type: RecordType.PTR }]))!;
    assert.equal(query.response, false);
    assert.deepEqual(query.questions, [{ name: ['_ipp', '_tcp', 'local'], type: RecordType.PTR }]);
  });

  test('every malformed kind is refused or bounded, never thrown', () => {
    for (const { what, packet } of hostilePackets(TYPE)) {
      const message = decodeMessage(packet);
      if (message) assert.ok(message.records.length <= MAX_RECORDS, what);
      if (/pointer|255 bytes|60 KB|reserved|three bytes|cut at/.test(what)) assert.equal(message, undefined, what);
    }
  });

  test('random mutations of a valid message never throw, loop or exceed the bounds', () => {
    const valid = responsePacket([
      ...serviceRecords('One', TYPE),
      ...serviceRecords('Two', TYPE, { txt: ['x=1', 'y'] }),
    ]);
    for (let round = 0; round < 20_000; round += 1) {
      const packet = Buffer.from(valid);
      const flips = 1 + (round % 8);
      for (let flip = 0; flip < flips; flip += 1)
        packet[Math.floor(Math.random() * packet.length)] = Math.floor(Math.random() * 256);
      const cut = round % 3 === 0 ? packet.subarray(0, Math.floor(Math.random() * packet.length)) : packet;
      const message = decodeMessage(cut);
      if (message) assert.ok(message.records.length <= MAX_RECORDS);
    }
    for (let round = 0; round < 5_000; round += 1) decodeMessage(randomBytes(12 + (round % 600)));
  });
});
