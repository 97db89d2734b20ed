// What XML text may escape, decoded for the network protocols' readers (WS-Discovery's SOAP
// envelopes, UPnP device descriptions): the five predefined entities and character references,
// nothing a DTD could declare, so no entity expands into more text than it was written as.

const REFERENCE = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the predefined entities and character references; anything else stays as written. */
export function decodeReferences(text: string): string {
  return text.replace(REFERENCE, (whole, name: string) => {
    if (name[0] !== '#') return PREDEFINED[name]!;
    const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
  });
}
