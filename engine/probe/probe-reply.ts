import type { Facts } from '../core/facts.js';
import type { HexBytes } from '../core/hex-bytes.js';
import type { SerialProbe } from '../sources/serial/serial-detect.js';
import { compileLinearRegex } from '../logic/linear-regex.js';

/** What a probe learned: the reply that matched, as text and hex, and the captured parts. */
export type ProbeFacts = NonNullable<Facts['probe']>;

/** Tells whether a reply read so far matches a probe's `expect`, and what it captured. */
export type ReplyMatcher = (reply: Buffer) => ProbeFacts | undefined;

const isHex = (value: string | HexBytes | undefined): value is HexBytes => typeof value === 'object' && value !== null;

const hexPairs = (hex: string) => hex.replace(/\s+/g, '').match(/.{2}/g) ?? [];

/** The bytes a probe (serial or TCP) sends first: a string as Latin-1 bytes, or `{hex}` pairs; empty to only listen. */
export function probeWriteBytes(probe: Pick<SerialProbe, 'write'>): Buffer {
  if (probe.write === undefined) return Buffer.alloc(0);
  if (isHex(probe.write)) return Buffer.from(hexPairs(probe.write.hex).join(''), 'hex');
  return Buffer.from(probe.write, 'latin1');
}

/** Lowercase hex pairs separated by spaces, as `probe.hex` shows a reply. */
export const spacedHex = (bytes: Buffer) => (bytes.toString('hex').match(/.{2}/g) ?? []).join(' ');

const factsOf = (reply: Buffer, groups: (string | null)[]): ProbeFacts => ({
  response: reply.toString('latin1'),
  hex: spacedHex(reply),
  groups,
});

/**
 * Compiles a probe's `expect`. A string is a regular expression (RE2 syntax, matched in linear
 * time) over the reply read as Latin-1 text; its groups become `probe.groups`. `{hex}` is a byte sequence that must occur in the
 * reply, `??` standing for any byte; the bytes at the `??` places become `probe.groups`.
 */
export function replyMatcher(expect: string | HexBytes): ReplyMatcher {
  if (!isHex(expect)) {
    const compiled = compileLinearRegex(expect);
    if (!compiled.ok) throw new SyntaxError(compiled.reason);
    const { regex } = compiled;
    return (reply) => {
      const found = regex.matcher(reply.toString('latin1'));
      if (!found.find()) return undefined;
      const groups = Array.from({ length: found.groupCount() }, (_, index) => found.group(index + 1));
      return factsOf(reply, groups);
    };
  }
  const pattern = hexPairs(expect.hex).map((pair) => (pair === '??' ? undefined : parseInt(pair, 16)));
  return (reply) => {
    for (let start = 0; start + pattern.length <= reply.length; start++) {
      if (pattern.every((byte, offset) => byte === undefined || reply[start + offset] === byte)) {
        const wild = pattern.flatMap((byte, offset) =>
          byte === undefined ? [spacedHex(reply.subarray(start + offset, start + offset + 1))] : [],
        );
        return factsOf(reply, wild);
      }
    }
    return undefined;
  };
}
