import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Discoverer } from '../../engine/sources/network/discovery.js';
import { MODBUS_DEVICE_ID_REQUEST } from '../../engine/sources/network/modbus-device-id.js';
import type { TcpBlock } from '../../engine/sources/network/tcp-block.js';
import { tcpProtocol } from '../../engine/sources/network/tcp.js';
import { modbusServerMissing, startModbusServer } from './modbus-server.js';
import { outsideTestNetns } from './netns.js';
import { recordingContext, startHostilePeer, waitUntil, type RecordingContext } from './tcp-harness.js';

const skip = outsideTestNetns || modbusServerMissing() || false;

// Short rounds so that a stopped server goes stale within seconds.
const SETTINGS = { intervalMs: 300, connectTimeoutMs: 1000 };
const modbusBlock = (port: number): TcpBlock => ({
  port,
  write: { hex: MODBUS_DEVICE_ID_REQUEST },
  decode: 'modbus-device-id',
  timeoutMs: 1000,
});
const ACME = { vendor: 'Acme Controls', product: 'AC-42', revision: '1.2.3' };

async function withDiscoverer(
  config: Record<string, unknown>,
  blocks: TcpBlock[],
  body: (context: RecordingContext, discoverer: Discoverer) => Promise<void>,
  context = recordingContext(),
): Promise<void> {
  const discoverer = tcpProtocol.create(config, context);
  await discoverer.start(blocks);
  try {
    await body(context, discoverer);
  } finally {
    await discoverer.stop();
  }
}

describe('TCP probe against a real Modbus TCP server (pymodbus)', { skip }, () => {
  test('the server is heard with its vendor, product and revision, and goes stale once stopped', async () => {
    const server = await startModbusServer(ACME);
    const id = `127.0.0.1:${server.port}`;
    try {
      await withDiscoverer({ ...SETTINGS, hosts: ['127.0.0.1'] }, [modbusBlock(server.port)], async (context) => {
        await waitUntil('the Modbus server heard', () => context.fresh(id));
        const { announcement } = context.last.get(id)!;
        assert.deepEqual(
          { ...announcement, facts: { ...announcement.facts, response: undefined, hex: undefined } },
          {
            protocol: 'tcp',
            id,
            addresses: ['127.0.0.1'],
            port: server.port,
            freshMs: announcement.freshMs,
            facts: {
              host: '127.0.0.1',
              port: server.port,
              request: MODBUS_DEVICE_ID_REQUEST,
              response: undefined,
              hex: undefined,
              groups: [],
              modbus: {
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
            },
          },
        );
        assert.ok(announcement.freshMs >= 2.5 * SETTINGS.intervalMs);
        // Heard again every round while it answers.
        const heardBefore = context.counts.get(id)!;
        await waitUntil('the server heard again', () => context.counts.get(id)! >= heardBefore + 2);
        await server.stop();
        await waitUntil('the stopped server stale', () => !context.fresh(id));
        assert.deepEqual(context.leftIds, []);
      });
    } finally {
      await server.stop();
    }
  });

  test('with no hosts configured nothing is probed; a host another protocol hears is', async () => {
    const server = await startModbusServer(ACME);
    const id = `127.0.0.1:${server.port}`;
    try {
      await withDiscoverer({ ...SETTINGS }, [modbusBlock(server.port)], async (context) => {
        await waitUntil('three probe rounds', () => context.heardHostsCalls >= 3);
        assert.equal(context.counts.size, 0);
        context.heardList = ['127.0.0.1'];
        await waitUntil('the heard host probed and found', () => context.fresh(id));
        assert.equal(context.last.get(id)!.announcement.facts.host, '127.0.0.1');
      });
      // probeHeardHosts: false keeps it to the configured list: 127.0.0.2, where nothing listens.
      const context = recordingContext();
      context.heardList = ['127.0.0.1'];
      const refusedRounds = () =>
        context.logged.filter((line) => line.target === `127.0.0.2:${server.port}` && line.outcome === 'failed').length;
      await withDiscoverer(
        { ...SETTINGS, hosts: ['127.0.0.2'], probeHeardHosts: false },
        [modbusBlock(server.port)],
        async () => {
          await waitUntil('three probe rounds', () => refusedRounds() >= 3);
          assert.equal(context.heardHostsCalls, 0);
          assert.equal(context.counts.size, 0);
        },
        context,
      );
    } finally {
      await server.stop();
    }
  });

  test('a profile removed: its targets are said to have left, and are no longer probed', async () => {
    const server = await startModbusServer(ACME);
    const id = `127.0.0.1:${server.port}`;
    try {
      await withDiscoverer(
        { ...SETTINGS, hosts: ['127.0.0.1'] },
        [modbusBlock(server.port)],
        async (context, discoverer) => {
          await waitUntil('the Modbus server heard', () => context.fresh(id));
          discoverer.setBlocks([]);
          assert.deepEqual(context.leftIds, [id]);
        },
      );
    } finally {
      await server.stop();
    }
  });
});

describe('TCP probe against hostile peers', { skip: outsideTestNetns }, () => {
  test('a peer that never answers, floods 100 MB, closes at once or answers a malformed frame is never heard, and the probe stays bounded and responsive', async () => {
    const peers = await Promise.all(
      (['silent', 'flood', 'closes', 'bad-modbus'] as const).map((hostility) => startHostilePeer(hostility)),
    );
    const server = await startModbusServer(ACME);
    const id = `127.0.0.1:${server.port}`;
    try {
      // The decoder refuses a flood of text at its first bytes; a regex expect reads on to the cap.
      const blocks = [server, ...peers].map(({ port }) => modbusBlock(port));
      blocks.push({ port: peers[1]!.port, expect: '^Modbus', timeoutMs: 1000 });
      await withDiscoverer({ ...SETTINGS, hosts: ['127.0.0.1'], concurrency: 2 }, blocks, async (context) => {
        // Every hostile peer was probed at least twice, and the real server kept being heard beside them.
        await waitUntil('every peer probed twice', () => peers.every((peer) => peer.connections >= 2));
        const heardBefore = context.counts.get(id) ?? 0;
        await waitUntil('the real server heard again', () => (context.counts.get(id) ?? 0) > heardBefore);
        assert.deepEqual([...context.counts.keys()], [id]);
        const flood = peers[1]!;
        // The probe read at most its cap and closed: the flood never got far (the kernel's buffers aside).
        assert.ok(flood.written < 100 * 1024 * 1024, `${flood.written} bytes written`);
        const reasons = context.logged.filter((line) => line.msg === 'tcp: no match').map((line) => line.reason);
        assert.ok(
          reasons.some((reason) => /4096 bytes without a matching reply/.test(String(reason))),
          'the flood was capped',
        );
        assert.ok(
          reasons.some((reason) => /no matching reply within 1000 ms/.test(String(reason))),
          'the silent peer timed out',
        );
        assert.ok(
          reasons.some((reason) => /closed without a matching reply|ECONNRESET/.test(String(reason))),
          'the closer',
        );
        assert.ok(
          reasons.some((reason) => /announces 17 objects/.test(String(reason))),
          'the malformed frame',
        );
      });
    } finally {
      await server.stop();
      await Promise.all(peers.map((peer) => peer.close()));
    }
  });
});
