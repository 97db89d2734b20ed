/** The most bytes of TXT text kept for one service, keys and values together; the rest is dropped. */
export const MAX_TXT_BYTES = 4096;

const text = new TextDecoder('utf-8', { fatal: false });

/**
 * A DNS-SD TXT record as facts (RFC 6763 section 6): `key=value` strings as a map, keys
 * lowercased (they compare ignoring case), the first of a repeated key kept, a key without `=`
 * as `true`. Values are read as UTF-8 (bytes that are not become U+FFFD). Bounded by
 * {@link MAX_TXT_BYTES}.
 */
export function txtFacts(strings: readonly Buffer[]): Record<string, string | true> {
  const facts: Record<string, string | true> = {};
  let bytes = 0;
  for (const entry of strings) {
    if (entry.length === 0) continue;
    bytes += entry.length;
    if (bytes > MAX_TXT_BYTES) break;
    const equals = entry.indexOf(0x3d);
    const key = text.decode(equals < 0 ? entry : entry.subarray(0, equals)).toLowerCase();
    // A string starting with `=` has no key and is ignored; so is a key like __proto__'s kin,
    // which would not be plain data.
    if (key === '' || Object.hasOwn(facts, key) || key === '__proto__') continue;
    facts[key] = equals < 0 ? true : text.decode(entry.subarray(equals + 1));
  }
  return facts;
}
