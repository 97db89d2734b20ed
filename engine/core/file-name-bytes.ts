import { isUtf8 } from 'node:buffer';

/*
 * Linux file names are bytes. Node decodes them as UTF-8 unless asked for Buffers, and a name
 * that is not valid UTF-8 then turns into replacement characters: a path that `lstat` cannot
 * find. Names are therefore read as bytes, and one that is not text is refused, said in a log
 * line with its bytes escaped, never silently lost.
 */

/** The name as text, or undefined when its bytes are not valid UTF-8. */
export function nameAsText(name: Buffer): string | undefined {
  return isUtf8(name) ? name.toString('utf8') : undefined;
}

/** Length of the UTF-8 sequence a lead byte starts (1 for a byte that starts none). */
const sequenceLength = (byte: number) => (byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1);

/** A name for a log line: its valid UTF-8 sequences as text, every other byte as `\xNN`. */
export function escapedName(name: Buffer): string {
  let text = '';
  for (let index = 0; index < name.length;) {
    const byte = name[index]!;
    const length = sequenceLength(byte);
    const sequence = name.subarray(index, index + length);
    if (byte < 0x80 || (sequence.length === length && length > 1 && isUtf8(sequence))) {
      text += sequence.toString('utf8');
      index += length;
    } else {
      text += `\\x${byte.toString(16).padStart(2, '0')}`;
      index += 1;
    }
  }
  return text;
}
