/**
 * DNS names on the wire (RFC 1035 section 4.1.4), read with compression pointers and bounded:
 * a name is at most 255 bytes and 128 labels, and a pointer must point before the place it is
 * read from, so a loop of pointers cannot exist and a name is read in at most one pass over the
 * message.
 */

/** A name as its labels, each as text (UTF-8, as DNS-SD writes instance names). */
export type DnsName = readonly string[];

const MAX_NAME_BYTES = 255;
const MAX_LABELS = 128;
const labelText = new TextDecoder('utf-8', { fatal: false });

/** Thrown for a packet that cannot be read; caught by the message reader, never beyond it. */
export class MalformedPacket extends Error {}

/** Reads the name at `offset`: its labels, and where the bytes after it (not after a pointer's target) start. */
export function readName(message: Buffer, offset: number): { name: DnsName; end: number } {
  const labels: string[] = [];
  let position = offset;
  let end: number | undefined;
  let bytes = 0;
  // Pointers must go strictly backwards: each jump lowers the limit, so there is no loop.
  let limit = offset;
  for (;;) {
    if (position >= message.length) throw new MalformedPacket('name runs past the end');
    const length = message[position]!;
    if (length === 0) {
      end ??= position + 1;
      break;
    }
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (position + 1 >= message.length) throw new MalformedPacket('pointer runs past the end');
      const target = ((length & 0x3f) << 8) | message[position + 1]!;
      if (target >= limit) throw new MalformedPacket('pointer does not point backwards');
      end ??= position + 2;
      limit = target;
      position = target;
      continue;
    }
    if (kind !== 0) throw new MalformedPacket('reserved label type');
    bytes += length + 1;
    if (bytes > MAX_NAME_BYTES || labels.length >= MAX_LABELS) throw new MalformedPacket('name too long');
    if (position + 1 + length > message.length) throw new MalformedPacket('label runs past the end');
    labels.push(labelText.decode(message.subarray(position + 1, position + 1 + length)));
    position += 1 + length;
  }
  return { name: labels, end };
}

/** A name as wire bytes, uncompressed (the queries this engine sends are small). */
export function writeName(name: DnsName): Buffer {
  const parts: Buffer[] = [];
  for (const label of name) {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length === 0 || bytes.length > 63) throw new RangeError(`DNS label of ${bytes.length} bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > MAX_NAME_BYTES) throw new RangeError('DNS name longer than 255 bytes');
  return wire;
}

/**
 * A name as one string, for comparing and keying: labels lowercased (DNS compares names ignoring
 * ASCII case), with a dot or backslash inside a label escaped, so that `a\.b.local` (one label
 * holding a dot) and `a.b.local` stay apart.
 */
export function nameKey(name: DnsName): string {
  return name.map((label) => escapeLabel(label.replace(/[A-Z]/g, (letter) => letter.toLowerCase()))).join('.');
}

/** A name as people read it, labels escaped as in {@link nameKey} but in their own case. */
export function nameText(name: DnsName): string {
  return name.map(escapeLabel).join('.');
}

const escapeLabel = (label: string) => label.replace(/[\\.]/g, (char) => `\\${char}`);

/** The labels of a service type as profiles write it (`_ipp._tcp`), under `.local`. */
export function serviceTypeName(type: string): DnsName {
  return [...type.split('.').filter((label) => label !== ''), 'local'];
}
