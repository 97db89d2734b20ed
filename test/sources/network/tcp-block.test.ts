import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MODBUS_DEVICE_ID_REQUEST } from '../../../engine/sources/network/modbus-device-id.js';
import { tcpMismatch, tcpProbeOf, type TcpBlock } from '../../../engine/sources/network/tcp-block.js';

const bytes = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const ACME_REPLY =
  '00 01 00 00 00 25 ff 2b 0e 01 83 00 00 03 00 0d 41 63 6d 65 20 43 6f 6e 74 72 6f 6c 73 01 05 41 43 2d 34 32 02 05 31 2e 32 2e 33';

const modbusBlock: TcpBlock = { port: 502, write: { hex: MODBUS_DEVICE_ID_REQUEST }, decode: 'modbus-device-id' };

describe('TCP probe blocks', () => {
  test('a regex expect reads the reply as Latin-1 and its groups become the facts', () => {
    const probe = tcpProbeOf({ port: 80, write: 'GET / HTTP/1.0\r\n\r\n', expect: '^HTTP/1\\.[01] (\\d+)' });
    assert.deepEqual(probe.request, Buffer.from('GET / HTTP/1.0\r\n\r\n', 'latin1'));
    assert.deepEqual(probe.judge(Buffer.from('HTTP/1')), { kind: 'more' });
    assert.deepEqual(probe.judge(Buffer.from('HTTP/1.1 200 OK')), {
      kind: 'matched',
      facts: {
        response: 'HTTP/1.1 200 OK',
        hex: '48 54 54 50 2f 31 2e 31 20 32 30 30 20 4f 4b',
        groups: ['200'],
        modbus: null,
      },
    });
  });

  test('decode modbus-device-id reads on until the frame is whole, then gives the identity', () => {
    const probe = tcpProbeOf(modbusBlock);
    assert.deepEqual(probe.judge(bytes(ACME_REPLY).subarray(0, 20)), { kind: 'more' });
    const verdict = probe.judge(bytes(ACME_REPLY));
    assert.equal(verdict.kind, 'matched');
    assert.equal(verdict.kind === 'matched' && verdict.facts.modbus?.vendorName, 'Acme Controls');
    assert.equal(probe.judge(bytes('00 01 00 00 00 03 ff ab 01')).kind, 'refused');
  });

  test('decode and expect both hold: the expect runs on the reply once decoded', () => {
    const probe = tcpProbeOf({ ...modbusBlock, expect: 'Acme (Controls)' });
    const verdict = probe.judge(bytes(ACME_REPLY));
    assert.deepEqual(verdict.kind === 'matched' && verdict.facts.groups, ['Controls']);
    assert.equal(tcpProbeOf({ ...modbusBlock, expect: 'Other' }).judge(bytes(ACME_REPLY)).kind, 'refused');
  });

  test('two blocks that send and accept the same share a key; an RE2-incompatible expect throws', () => {
    assert.equal(tcpProbeOf({ ...modbusBlock }).key, tcpProbeOf({ ...modbusBlock }).key);
    assert.notEqual(tcpProbeOf(modbusBlock).key, tcpProbeOf({ ...modbusBlock, port: 5020 }).key);
    assert.throws(() => tcpProbeOf({ port: 1, expect: '(a)\\1' }), /backreference/);
  });

  test('a block holds for the facts of a reply to its own request that it accepts', () => {
    const facts = {
      host: '127.0.0.1',
      port: 502,
      request: MODBUS_DEVICE_ID_REQUEST,
      hex: ACME_REPLY,
      modbus: { vendorName: 'Acme Controls' },
    };
    assert.equal(tcpMismatch(modbusBlock, facts), undefined);
    assert.equal(tcpMismatch({ ...modbusBlock, expect: 'Acme' }, facts), undefined);
    assert.match(tcpMismatch({ ...modbusBlock, port: 503 }, facts)!, /port is 502, not 503/);
    assert.match(tcpMismatch({ ...modbusBlock, write: 'hello' }, facts)!, /another request/);
    assert.match(tcpMismatch({ ...modbusBlock, expect: 'Other' }, facts)!, /does not match expect/);
    assert.match(
      tcpMismatch({ port: 502, write: { hex: MODBUS_DEVICE_ID_REQUEST }, expect: 'Zed' }, facts)!,
      /not match/,
    );
    assert.match(tcpMismatch(modbusBlock, { ...facts, hex: null })!, /no reply/);
  });
});
