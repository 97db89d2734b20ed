// A small XML reader for WS-Discovery's SOAP envelopes, written for what arrives from a network:
// anything, from anyone. It reads elements, their namespaces and their text, and nothing else a
// document may carry: a DOCTYPE (and with it any entity definition) rejects the whole message,
// only the five predefined entities and character references are decoded, and the element count
// and depth are bounded. It never throws: what it cannot read is `undefined`.
import { decodeReferences } from './xml-references.js';

/** Namespace declarations in scope at an element: its own, then its ancestors'. */
export interface NamespaceScope {
  readonly prefixes: ReadonlyMap<string, string>;
  readonly parent: NamespaceScope | undefined;
}

/** One element, with its name split from its prefix and its namespace resolved. */
export interface XmlElement {
  /** Local name, without its prefix. */
  readonly name: string;
  /** Namespace URI; '' when the prefix is undeclared (read anyway: senders get this wrong). */
  readonly namespace: string;
  /** Its attributes by name as written (`InstanceId`, `xmlns:d`), values decoded. */
  readonly attributes: ReadonlyMap<string, string>;
  /** The element's own text (not its children's), entities decoded. */
  text: string;
  readonly children: XmlElement[];
  /** For resolving prefixed names in the text (`dn:NetworkVideoTransmitter`). */
  readonly scope: NamespaceScope | undefined;
}

/** Bounds on what one message may hold; a message past them is not read. */
export const XML_LIMITS = { maxChars: 65_536, maxElements: 2_000, maxDepth: 32 } as const;

// Sticky (`y`): each matches exactly at lastIndex, so a tag is read in one pass over its text.
const NAME = /[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?/y;
const ATTRIBUTE = /\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TAG_END = /\s*(\/?)>/y;
/** Resolves a prefix ('' for the default namespace) in a scope; '' when undeclared. */
export function resolvePrefix(scope: NamespaceScope | undefined, prefix: string): string {
  for (let at = scope; at; at = at.parent) {
    const uri = at.prefixes.get(prefix);
    if (uri !== undefined) return uri;
  }
  return '';
}

/** Reads a document's root element, or undefined when the text is not XML within the limits. */
export function readXml(text: string): XmlElement | undefined {
  if (text.length > XML_LIMITS.maxChars) return undefined;
  const stack: { element: XmlElement; written: string }[] = [];
  let root: XmlElement | undefined;
  let count = 0;
  let position = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (position < text.length) {
    const open = text.indexOf('<', position);
    const top = stack[stack.length - 1]?.element;
    const run = text.slice(position, open < 0 ? text.length : open);
    if (top) top.text += decodeReferences(run);
    else if (run.trim() !== '') return undefined;
    if (open < 0) break;
    if (text.startsWith('<!--', open)) {
      position = skipPast(text, open + 4, '-->');
    } else if (text.startsWith('<![CDATA[', open)) {
      const end = text.indexOf(']]>', open + 9);
      if (end < 0 || !top) return undefined;
      top.text += text.slice(open + 9, end);
      position = end + 3;
    } else if (text[open + 1] === '!') {
      return undefined; // a DOCTYPE: no document type definitions, no entities
    } else if (text[open + 1] === '?') {
      position = skipPast(text, open + 2, '?>');
    } else if (text[open + 1] === '/') {
      const end = text.indexOf('>', open);
      if (end < 0 || !top || text.slice(open + 2, end).trim() !== stack[stack.length - 1]!.written) return undefined;
      stack.pop();
      position = end + 1;
    } else {
      if (root && stack.length === 0) return undefined; // a second root
      if (++count > XML_LIMITS.maxElements || stack.length >= XML_LIMITS.maxDepth) return undefined;
      const tag = readStartTag(text, open + 1, top?.scope);
      if (!tag) return undefined;
      if (top) top.children.push(tag.element);
      else root = tag.element;
      if (!tag.empty) stack.push({ element: tag.element, written: tag.written });
      position = tag.end;
    }
    if (position < 0) return undefined;
  }
  return root && stack.length === 0 ? root : undefined;
}

function skipPast(text: string, from: number, marker: string): number {
  const end = text.indexOf(marker, from);
  return end < 0 ? -1 : end + marker.length;
}

function readStartTag(
  text: string,
  from: number,
  outer: NamespaceScope | undefined,
): { element: XmlElement; written: string; empty: boolean; end: number } | undefined {
  NAME.lastIndex = from;
  const name = NAME.exec(text)?.[0];
  if (!name) return undefined;
  let position = from + name.length;
  const attributes = new Map<string, string>();
  for (;;) {
    TAG_END.lastIndex = position;
    const close = TAG_END.exec(text);
    if (close) {
      position += close[0].length;
      return { element: makeElement(name, attributes, outer), written: name, empty: close[1] === '/', end: position };
    }
    ATTRIBUTE.lastIndex = position;
    const attribute = ATTRIBUTE.exec(text);
    if (!attribute || attributes.size >= 64) return undefined;
    attributes.set(attribute[1]!, decodeReferences(attribute[2] ?? attribute[3] ?? ''));
    position += attribute[0].length;
  }
}

function makeElement(written: string, attributes: Map<string, string>, outer: NamespaceScope | undefined): XmlElement {
  const prefixes = new Map<string, string>();
  for (const [name, value] of attributes) {
    if (name === 'xmlns') prefixes.set('', value.trim());
    else if (name.startsWith('xmlns:')) prefixes.set(name.slice(6), value.trim());
  }
  const scope = prefixes.size > 0 ? { prefixes, parent: outer } : outer;
  const colon = written.indexOf(':');
  return {
    name: colon < 0 ? written : written.slice(colon + 1),
    namespace: resolvePrefix(scope, colon < 0 ? '' : written.slice(0, colon)),
    attributes,
    text: '',
    children: [],
    scope,
  };
}

/** The first child with this local name, whatever its prefix. */
export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((candidate) => candidate.name === name);
}

/** Every child with this local name. */
export function children(element: XmlElement | undefined, name: string): XmlElement[] {
  return element?.children.filter((candidate) => candidate.name === name) ?? [];
}
