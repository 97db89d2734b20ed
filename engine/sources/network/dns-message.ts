import { MalformedPacket, readName, writeName, type DnsName } from './dns-name.js';

/** Record types this engine reads (RFC 1035, RFC 2782, RFC 3596). */
export const RecordType = { A: 1, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, ANY: 255 } as const;

/** The largest mDNS message (RFC 6762 section 17); larger datagrams are dropped unread. */
export const MAX_MESSAGE_BYTES = 9000;
/** The most records read from one message; the rest are ignored. */
export const MAX_RECORDS = 256;
/** The most TXT strings kept of one record. */
export const MAX_TXT_STRINGS = 64;

/** What a record holds, for the types read; other types are `other`. */
export type RecordData =
  | { type: 'PTR'; target: DnsName }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: DnsName }
  | { type: 'TXT'; strings: Buffer[] }
  | { type: 'A' | 'AAAA'; address: string }
  | { type: 'other' };

/** A resource record from the answer, authority or additional section. */
export interface DnsRecord {
  name: DnsName;
  /** Time to live in seconds; 0 is mDNS's goodbye. */
  ttl: number;
  /** mDNS's cache-flush bit (RFC 6762 section 10.2): this message holds the whole set of such records. */
  flush: boolean;
  data: RecordData;
}

/** A message as read: whether it answers, its questions (names and types) and its records. */
export interface DnsMessage {
  response: boolean;
  questions: { name: DnsName; type: number }[];
  records: DnsRecord[];
}

/**
 * Reads a DNS message, or gives undefined for one that is malformed, too large or truncated.
 * Bounded whatever the bytes: at most {@link MAX_MESSAGE_BYTES} read, {@link MAX_RECORDS}
 * records, names bounded as {@link readName} says.
 */
export function decodeMessage(message: Buffer): DnsMessage | undefined {
  if (message.length < 12 || message.length > MAX_MESSAGE_BYTES) return undefined;
  try {
    const response = (message[2]! & 0x80) !== 0;
    const counts = [4, 6, 8, 10].map((at) => message.readUInt16BE(at));
    let offset = 12;
    const questions: DnsMessage['questions'] = [];
    for (let index = 0; index < counts[0]!; index += 1) {
      if (questions.length >= MAX_RECORDS) throw new MalformedPacket('too many questions');
      const { name, end } = readName(message, offset);
      if (end + 4 > message.length) throw new MalformedPacket('question runs past the end');
      questions.push({ name, type: message.readUInt16BE(end) });
      offset = end + 4;
    }
    const records: DnsRecord[] = [];
    const recordCount = counts[1]! + counts[2]! + counts[3]!;
    for (let index = 0; index < recordCount && records.length < MAX_RECORDS; index += 1) {
      const { record, end } = readRecord(message, offset);
      records.push(record);
      offset = end;
    }
    return { response, questions, records };
  } catch (error) {
    if (error instanceof MalformedPacket || error instanceof RangeError) return undefined;
    throw error;
  }
}

function readRecord(message: Buffer, offset: number): { record: DnsRecord; end: number } {
  const { name, end: nameEnd } = readName(message, offset);
  if (nameEnd + 10 > message.length) throw new MalformedPacket('record runs past the end');
  const type = message.readUInt16BE(nameEnd);
  const flush = (message.readUInt16BE(nameEnd + 2) & 0x8000) !== 0;
  const ttl = message.readUInt32BE(nameEnd + 4);
  const length = message.readUInt16BE(nameEnd + 8);
  const start = nameEnd + 10;
  const end = start + length;
  if (end > message.length) throw new MalformedPacket('record data runs past the end');
  return { record: { name, ttl, flush, data: readData(message, type, start, end) }, end };
}

function readData(message: Buffer, type: number, start: number, end: number): RecordData {
  switch (type) {
    case RecordType.PTR:
      return { type: 'PTR', target: readName(message.subarray(0, end), start).name };
    case RecordType.SRV: {
      if (end - start < 7) throw new MalformedPacket('short SRV');
      const [priority, weight, port] = [0, 2, 4].map((at) => message.readUInt16BE(start + at)) as [
        number,
        number,
        number,
      ];
      return { type: 'SRV', priority, weight, port, target: readName(message.subarray(0, end), start + 6).name };
    }
    case RecordType.TXT: {
      const strings: Buffer[] = [];
      for (let at = start; at < end && strings.length < MAX_TXT_STRINGS;) {
        const length = message[at]!;
        if (at + 1 + length > end) throw new MalformedPacket('TXT string runs past its record');
        strings.push(Buffer.from(message.subarray(at + 1, at + 1 + length)));
        at += 1 + length;
      }
      return { type: 'TXT', strings };
    }
    case RecordType.A:
      if (end - start !== 4) throw new MalformedPacket('A record not 4 bytes');
      return { type: 'A', address: [...message.subarray(start, end)].join('.') };
    case RecordType.AAAA: {
      if (end - start !== 16) throw new MalformedPacket('AAAA record not 16 bytes');
      const groups = [];
      for (let at = start; at < end; at += 2) groups.push(message.readUInt16BE(at).toString(16));
      // The URL parser writes an IPv6 address in its canonical short form (RFC 5952).
      return { type: 'AAAA', address: new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1) };
    }
    default:
      return { type: 'other' };
  }
}

/** A query for each of `questions` (name, record type), as an mDNS querier sends it: id 0, multicast answers asked. */
export function encodeQuery(questions: readonly { name: DnsName; type: number }[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(questions.length, 4);
  const parts: Buffer[] = [header];
  for (const question of questions) {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(question.type, 0);
    tail.writeUInt16BE(1, 2); // class IN
    parts.push(writeName(question.name), tail);
  }
  return Buffer.concat(parts);
}
