import type { HexBytes } from '../../core/hex-bytes.js';
import { probeWriteBytes, replyMatcher, spacedHex, type ReplyMatcher } from '../../probe/probe-reply.js';
import { decodeModbusDeviceId, type ModbusIdentity } from './modbus-device-id.js';

/** A profile's `detect.network.tcp` block, after the profile schema has accepted it. */
export interface TcpBlock {
  port: number;
  write?: string | HexBytes;
  expect?: string | HexBytes;
  /** Parses the reply as a known protocol and adds its fields to the facts. */
  decode?: 'modbus-device-id';
  timeoutMs?: number;
  maxReplyBytes?: number;
}

/** The facts of a peripheral that answered, under `network.tcp`. */
export interface TcpFacts {
  host: string;
  port: number;
  /** The bytes sent, as spaced hex pairs (empty when the probe only listens). */
  request: string;
  /** The reply as Latin-1 text, as far as it was read. */
  response: string;
  hex: string;
  groups: (string | null)[];
  modbus: ModbusIdentity | null;
}

export const DEFAULT_REPLY_TIMEOUT_MS = 2000;
export const DEFAULT_MAX_REPLY_BYTES = 4096;

/** What a reply read so far says: matched (with its facts), read on, or not this device. */
export type ReplyVerdict =
  | { kind: 'matched'; facts: Pick<TcpFacts, 'response' | 'hex' | 'groups' | 'modbus'> }
  | { kind: 'more' }
  | { kind: 'refused'; reason: string };

/** A block made ready to probe with: its bytes, its bounds, and how a reply is judged. */
export interface TcpProbe {
  port: number;
  request: Buffer;
  timeoutMs: number;
  maxReplyBytes: number;
  judge(reply: Buffer): ReplyVerdict;
  /** Identifies what the probe sends and accepts: two blocks with the same key are probed once. */
  key: string;
}

function judgeOf(block: TcpBlock, request: Buffer): TcpProbe['judge'] {
  const matches: ReplyMatcher | undefined = block.expect === undefined ? undefined : replyMatcher(block.expect);
  if (block.decode !== 'modbus-device-id')
    return (reply) => {
      const facts = matches?.(reply);
      return facts ? { kind: 'matched', facts: { ...facts, modbus: null } } : { kind: 'more' };
    };
  return (reply) => {
    const decoded = decodeModbusDeviceId(reply, request);
    if (decoded.kind === 'incomplete') return { kind: 'more' };
    if (decoded.kind === 'invalid') return { kind: 'refused', reason: decoded.reason };
    const facts = matches ? matches(reply) : { response: reply.toString('latin1'), hex: spacedHex(reply), groups: [] };
    if (!facts) return { kind: 'refused', reason: 'the device identification does not match expect' };
    return { kind: 'matched', facts: { ...facts, modbus: decoded.identity } };
  };
}

const compiled = new WeakMap<TcpBlock, TcpProbe>();

/** The probe a block asks for (compiled once per block); throws a SyntaxError for an expect RE2 cannot run. */
export function tcpProbeOf(block: TcpBlock): TcpProbe {
  let probe = compiled.get(block);
  if (!probe) {
    const request = probeWriteBytes(block);
    const timeoutMs = block.timeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
    const maxReplyBytes = block.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    probe = {
      port: block.port,
      request,
      timeoutMs,
      maxReplyBytes,
      judge: judgeOf(block, request),
      key: JSON.stringify([block.port, request.toString('hex'), block.expect, block.decode, timeoutMs, maxReplyBytes]),
    };
    compiled.set(block, probe);
  }
  return probe;
}

/**
 * Why a block does not hold for a peripheral's `network.tcp` facts, or undefined when it does:
 * same port, same bytes sent, and its `expect` and `decode` accept the reply that was read. So a
 * profile is matched by the reply to its own request, whichever profile's probe got it.
 */
export function tcpMismatch(block: TcpBlock, facts: Readonly<Record<string, unknown>>): string | undefined {
  if (facts.port !== block.port) return `network.tcp.port is ${String(facts.port)}, not ${block.port}`;
  let probe: TcpProbe;
  try {
    probe = tcpProbeOf(block);
  } catch (error) {
    return `expect cannot run: ${(error as Error).message}`;
  }
  if (facts.request !== spacedHex(probe.request))
    return 'the peripheral answered another request than this block sends';
  if (typeof facts.hex !== 'string') return 'no reply was read';
  const verdict = probe.judge(Buffer.from(facts.hex.replace(/ /g, ''), 'hex'));
  return verdict.kind === 'matched'
    ? undefined
    : verdict.kind === 'refused'
      ? verdict.reason
      : 'the reply does not match expect';
}
