import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeModbusDeviceId, MODBUS_DEVICE_ID_REQUEST } from '../../../engine/sources/network/modbus-device-id.js';

const bytes = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

const request = bytes(MODBUS_DEVICE_ID_REQUEST);

// What pymodbus 3.0 answers to the request with VendorName "Acme Controls", ProductCode
// "AC-42" and MajorMinorRevision "1.2.3" (read from a running server).
const ACME_REPLY = bytes(
  '00 01 00 00 00 25 ff 2b 0e 01 83 00 00 03 00 0d 41 63 6d 65 20 43 6f 6e 74 72 6f 6c 73 01 05 41 43 2d 34 32 02 05 31 2e 32 2e 33',
);

/** A reply to the request, its MBAP length computed from `pdu`. */
const reply = (pdu: string, transaction = '00 01') => {
  const body = bytes(pdu);
  return Buffer.concat([bytes(transaction), bytes('00 00'), Buffer.from([0, body.length + 1]), bytes('ff'), body]);
};

describe('Modbus device identification', () => {
  test('the request is function 43, MEI type 14, read code 01, object 0, unit ff', () => {
    assert.deepEqual(request, Buffer.from([0, 1, 0, 0, 0, 5, 0xff, 0x2b, 0x0e, 0x01, 0x00]));
  });

  test('a whole reply gives the vendor, product and revision', () => {
    assert.deepEqual(decodeModbusDeviceId(ACME_REPLY, request), {
      kind: 'identity',
      identity: {
        unitId: 0xff,
        conformityLevel: 0x83,
        vendorName: 'Acme Controls',
        productCode: 'AC-42',
        revision: '1.2.3',
        vendorUrl: null,
        productName: null,
        modelName: null,
        userApplicationName: null,
      },
    });
  });

  test('a reply read in part asks for more; bytes after the frame are ignored', () => {
    for (let length = 0; length < ACME_REPLY.length; length++)
      assert.deepEqual(
        decodeModbusDeviceId(ACME_REPLY.subarray(0, length), request),
        { kind: 'incomplete' },
        `${length}`,
      );
    const withTrailer = Buffer.concat([ACME_REPLY, bytes('de ad be ef')]);
    assert.equal(decodeModbusDeviceId(withTrailer, request).kind, 'identity');
  });

  test('regular objects are read; unknown object ids are skipped; control characters are dropped', () => {
    const decoded = decodeModbusDeviceId(
      reply('2b 0e 02 02 00 00 04 00 03 41 0a 42 04 02 58 00 80 02 7a 7a 05 03 20 4d 20'),
    );
    assert.equal(decoded.kind, 'identity');
    if (decoded.kind !== 'identity') return;
    assert.equal(decoded.identity.vendorName, 'AB');
    assert.equal(decoded.identity.productName, 'X');
    assert.equal(decoded.identity.modelName, 'M');
    assert.equal(decoded.identity.productCode, null);
  });

  const malformed: [string, Buffer][] = [
    ['not Modbus TCP', bytes('00 01 12 34 00 05 ff 2b 0e 01 00')],
    ['another transaction', reply('2b 0e 01 01 00 00 00', '00 02')],
    ['an MBAP length too short', bytes('00 01 00 00 00 01 ff')],
    ['an MBAP length beyond a frame', bytes('00 01 00 00 01 00 ff')],
    ['an exception', reply('ab 01')],
    ['an exception without its code', reply('ab')],
    ['another function', reply('03 02 00 07')],
    ['a header cut short', reply('2b 0e 01 01 00')],
    ['more objects announced than sent', reply('2b 0e 01 01 00 00 03 00 01 41')],
    ['an object longer than the frame', reply('2b 0e 01 01 00 00 01 00 ff 41 42')],
  ];
  for (const [what, bytesOf] of malformed)
    test(`${what} is refused with a reason`, () => {
      const decoded = decodeModbusDeviceId(bytesOf, request);
      assert.equal(decoded.kind, 'invalid');
      assert.ok(decoded.kind === 'invalid' && decoded.reason.length > 0);
    });

  test('random bytes never throw', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
    for (let round = 0; round < 5000; round++) {
      const noise = Buffer.from(Array.from({ length: random() }, random));
      // Half of them look like Modbus TCP up to the PDU, to reach the object parser.
      if (round % 2)
        noise.set([0, 1, 0, 0, 0, Math.min(noise.length - 6, 254) & 0xff, 0xff, 0x2b, 0x0e].slice(0, noise.length));
      assert.doesNotThrow(() => decodeModbusDeviceId(noise, request));
    }
  });
});
