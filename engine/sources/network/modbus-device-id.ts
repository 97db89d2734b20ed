/**
 * Modbus TCP "Read Device Identification" (function 43, MEI type 14), as the MODBUS Application
 * Protocol Specification V1.1b3 (section 6.21) and its TCP/IP implementation guide define it: the
 * request a profile sends, and a decoder of the reply that trusts nothing in it. Every length is
 * checked against the bytes actually there, so a hostile reply yields a reason, never a throw.
 */

/**
 * The request of the basic identification (read code 01, from object 0), as hex pairs:
 * MBAP header (transaction 0001, protocol 0000, 5 bytes follow, unit ff) then the PDU 2b 0e 01 00.
 * Unit ff is what the specification asks of a device addressed by its IP address; a gateway to
 * serial devices wants the serial slave's address there instead.
 */
export const MODBUS_DEVICE_ID_REQUEST = '00 01 00 00 00 05 ff 2b 0e 01 00';

/** The identification objects of a device, by the names the specification gives objects 0 to 6; null when not sent. */
export interface ModbusIdentity {
  /** Unit identifier of the reply's MBAP header. */
  unitId: number;
  /** Conformity level the device declares (0x01 basic, 0x02 regular, 0x03 extended; +0x80 with single-object access). */
  conformityLevel: number;
  vendorName: string | null;
  productCode: string | null;
  /** MajorMinorRevision, e.g. "V2.11". */
  revision: string | null;
  vendorUrl: string | null;
  productName: string | null;
  modelName: string | null;
  userApplicationName: string | null;
}

/** What a reply read so far is: not whole yet, a device identification, or not one (and why). */
export type ModbusDecoded =
  { kind: 'incomplete' } | { kind: 'identity'; identity: ModbusIdentity } | { kind: 'invalid'; reason: string };

/** The facts of objects 0 to 6, in the order of their ids. */
export const MODBUS_OBJECT_NAMES = [
  'vendorName',
  'productCode',
  'revision',
  'vendorUrl',
  'productName',
  'modelName',
  'userApplicationName',
] as const;

const MBAP_LENGTH = 7;
/** A Modbus PDU is at most 253 bytes; the MBAP length field counts it and the unit identifier. */
const MAX_MBAP_FOLLOWING = 254;
const FUNCTION_CODE = 0x2b;
const MEI_TYPE = 0x0e;

const EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function: the device does not implement device identification',
  2: 'illegal data address: no such object',
  3: 'illegal data value',
  4: 'server device failure',
  11: 'gateway target device failed to respond',
};

// An ASCII string by the specification; a hostile one must not smuggle control characters into facts.
const objectText = (bytes: Buffer) =>
  bytes
    .toString('latin1')
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();

/** Reads the objects of the PDU after its 7-byte header; the count and every length are checked. */
function readObjects(pdu: Buffer, identity: ModbusIdentity): string | undefined {
  const count = pdu[6]!;
  let offset = 7;
  for (let index = 0; index < count; index++) {
    if (offset + 2 > pdu.length) return `the reply announces ${count} objects but holds ${index}`;
    const id = pdu[offset]!;
    const length = pdu[offset + 1]!;
    const end = offset + 2 + length;
    if (end > pdu.length) return `object ${id} is ${length} bytes long but only ${pdu.length - offset - 2} follow`;
    const name = MODBUS_OBJECT_NAMES[id];
    if (name !== undefined) identity[name] = objectText(pdu.subarray(offset + 2, end));
    offset = end;
  }
  return undefined;
}

/**
 * Decodes a reply to a device identification request. `request`, when given, is the request sent:
 * a reply with another transaction identifier answers something else and is refused.
 */
export function decodeModbusDeviceId(reply: Buffer, request?: Buffer): ModbusDecoded {
  if (reply.length >= 4 && reply.readUInt16BE(2) !== 0)
    return { kind: 'invalid', reason: 'not Modbus TCP (protocol identifier is not 0)' };
  if (reply.length < MBAP_LENGTH) return { kind: 'incomplete' };
  if (request !== undefined && request.length >= 2 && reply.readUInt16BE(0) !== request.readUInt16BE(0))
    return { kind: 'invalid', reason: 'the reply carries another transaction identifier than the request' };
  const following = reply.readUInt16BE(4);
  if (following < 2 || following > MAX_MBAP_FOLLOWING)
    return {
      kind: 'invalid',
      reason: `the MBAP length ${following} is not that of a Modbus frame (2 to ${MAX_MBAP_FOLLOWING})`,
    };
  if (reply.length < 6 + following) return { kind: 'incomplete' };
  const unitId = reply[6]!;
  const pdu = reply.subarray(MBAP_LENGTH, 6 + following);
  if (pdu[0] === (FUNCTION_CODE | 0x80)) {
    const code = pdu[1];
    return {
      kind: 'invalid',
      reason: `exception ${code ?? '(none)'}: ${EXCEPTIONS[code ?? -1] ?? 'unknown exception code'}`,
    };
  }
  if (pdu[0] !== FUNCTION_CODE || pdu[1] !== MEI_TYPE)
    return { kind: 'invalid', reason: 'not a reply to Read Device Identification (function 43, MEI type 14)' };
  if (pdu.length < 7)
    return { kind: 'invalid', reason: 'the Read Device Identification reply is shorter than its header' };
  const identity: ModbusIdentity = {
    unitId,
    conformityLevel: pdu[3]!,
    vendorName: null,
    productCode: null,
    revision: null,
    vendorUrl: null,
    productName: null,
    modelName: null,
    userApplicationName: null,
  };
  const malformed = readObjects(pdu, identity);
  return malformed ? { kind: 'invalid', reason: malformed } : { kind: 'identity', identity };
}
