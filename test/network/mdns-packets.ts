// mDNS messages written byte by byte, for the codec's tests and for a hostile announcer: well
// formed responses to start from, and the malformed kinds a responder on the link could send.
import { createSocket } from 'node:dgram';

/** A record to write: its owner name as labels, type, TTL, and its data as raw bytes. */
export interface RawRecord {
  name: readonly string[];
  type: number;
  ttl: number;
  data: Buffer;
  flush?: boolean;
}

export const TYPE = { A: 1, PTR: 12, TXT: 16, SRV: 33 } as const;

/** A name, uncompressed. */
export const nameBytes = (labels: readonly string[]) =>
  Buffer.concat([
    ...labels.map((label) => Buffer.concat([Buffer.from([Buffer.byteLength(label)]), Buffer.from(label)])),
    Buffer.from([0]),
  ]);

/** A response (QR and AA set) holding `records` as answers. */
export function responsePacket(records: readonly RawRecord[]): Buffer {
  const header = Buffer.from([0, 0, 0x84, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  header.writeUInt16BE(records.length, 6);
  const parts: Buffer[] = [header];
  for (const record of records) {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(record.type, 0);
    fixed.writeUInt16BE((record.flush ? 0x8000 : 0) | 1, 2);
    fixed.writeUInt32BE(record.ttl, 4);
    fixed.writeUInt16BE(record.data.length, 8);
    parts.push(nameBytes(record.name), fixed, record.data);
  }
  return Buffer.concat(parts);
}

export const txtData = (strings: readonly (string | Buffer)[]) =>
  Buffer.concat(
    strings.map((entry) => {
      const bytes = Buffer.from(entry);
      return Buffer.concat([Buffer.from([bytes.length]), bytes]);
    }),
  );

export function srvData(port: number, target: readonly string[]): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(port, 4);
  return Buffer.concat([fixed, nameBytes(target)]);
}

/** The records of one service instance, as a responder announces it. */
export function serviceRecords(
  instance: string,
  type: readonly string[],
  options: { port?: number; host?: string; address?: string; txt?: readonly (string | Buffer)[]; ttl?: number } = {},
): RawRecord[] {
  const { port = 80, host = 'peer', address = '127.0.0.1', txt = ['a=b'], ttl = 120 } = options;
  const full = [instance, ...type, 'local'];
  const hostName = [host, 'local'];
  return [
    { name: [...type, 'local'], type: TYPE.PTR, ttl, data: nameBytes(full) },
    { name: full, type: TYPE.SRV, ttl, data: srvData(port, hostName), flush: true },
    { name: full, type: TYPE.TXT, ttl, data: txtData(txt), flush: true },
    { name: hostName, type: TYPE.A, ttl, data: Buffer.from(address.split('.').map(Number)), flush: true },
  ];
}

/** Malformed and hostile messages of every kind the codec must refuse or bound. */
export function hostilePackets(type: readonly string[]): { what: string; packet: Buffer }[] {
  const valid = responsePacket(serviceRecords('Hostile', type));
  // The first answer's name replaced by a pointer to itself (offset 12).
  const loop = Buffer.concat([
    valid.subarray(0, 12),
    Buffer.from([0xc0, 12]),
    valid.subarray(12 + nameBytes([...type, 'local']).length),
  ]);
  const forward = Buffer.concat([valid.subarray(0, 12), Buffer.from([0xc0, 14, 0xc0, 12]), Buffer.alloc(10)]);
  // Labels of one byte each (1, 1), 150 of them: past both 255 bytes and 128 labels.
  const manyLabels = Buffer.concat([valid.subarray(0, 12), Buffer.alloc(300, 1), Buffer.alloc(11)]);
  const packets = [
    { what: 'a pointer to itself', packet: loop },
    { what: 'two pointers pointing at each other', packet: forward },
    { what: 'labels past 255 bytes', packet: manyLabels },
    {
      what: 'a huge TXT record',
      packet: responsePacket(
        serviceRecords('Huge', type, { txt: Array.from({ length: 34 }, (_, index) => `k${index}=${'x'.repeat(250)}`) }),
      ),
    },
    { what: 'a datagram of 60 KB', packet: Buffer.concat([valid, Buffer.alloc(60_000)]) },
    { what: 'counts that promise 65535 records', packet: Buffer.from(valid).fill(0xff, 6, 12) },
    {
      what: 'a reserved label type',
      packet: Buffer.concat([valid.subarray(0, 12), Buffer.from([0x80, 1]), valid.subarray(14)]),
    },
    { what: 'only a header', packet: valid.subarray(0, 12) },
    { what: 'three bytes', packet: Buffer.from([1, 2, 3]) },
  ];
  for (let cut = 13; cut < valid.length; cut += 7)
    packets.push({ what: `cut at ${cut} bytes`, packet: valid.subarray(0, cut) });
  return packets;
}

/** Sends packets to the mDNS group from port 5353 on `from` (an interface's address), as a responder on that link would. */
export async function announce(packets: readonly Buffer[], from = '127.0.0.1'): Promise<void> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve) => socket.bind(5353, resolve));
  socket.setMulticastInterface(from);
  try {
    for (const packet of packets)
      await new Promise<void>((resolve) => socket.send(packet, 5353, '224.0.0.251', () => resolve()));
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
