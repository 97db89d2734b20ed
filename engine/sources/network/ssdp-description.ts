/**
 * Reads the few fields the SSDP facts need from a UPnP device description (the XML at an
 * announcement's LOCATION) without an XML library: the text is already bounded in size by the
 * fetch, every search below is a linear scan with `indexOf`, and entities are decoded only for
 * the five XML predefines and character references. A DTD is never read, so no entity it
 * declares is expanded (no "billion laughs"); text that is not well-formed still yields
 * whatever fields can be found.
 */
import { decodeReferences } from './xml-references.js';

/** The description fields kept as `network.ssdp.*` facts, null when a description lacks them. */
export const DESCRIPTION_FIELDS = [
  'deviceType',
  'friendlyName',
  'manufacturer',
  'modelName',
  'modelNumber',
  'serialNumber',
  'UDN',
] as const;
export type DescriptionField = (typeof DESCRIPTION_FIELDS)[number];
export type DeviceDescription = Record<DescriptionField, string | null>;

/** A field value longer than this is cut: UDA 2.0 caps these strings at 64 to 128 characters. */
const MAX_FIELD_CHARS = 256;
/** `<device>` elements looked at: a root device and its embedded ones, never thousands. */
const MAX_DEVICES = 64;

/** The text of a field's value: CDATA unwrapped, entities decoded, whitespace collapsed, bounded. */
function fieldText(raw: string): string | null {
  const cdata = /^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/.exec(raw);
  // Markup inside a field (outside CDATA) means it is not a text field: no value.
  if (!cdata && raw.includes('<')) return null;
  const text = (cdata ? cdata[1]! : decodeReferences(raw)).replace(/\s+/g, ' ').trim();
  return text === '' ? null : text.slice(0, MAX_FIELD_CHARS);
}

/** Where an element opens (`<name>` or `<prefix:name attr...>`) at or after `from`: the index after `>`, or -1. */
function openingEnd(xml: string, name: string, from: number, before: number): number {
  const pattern = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${name}(?:\\s[^<>]*)?>`, 'g');
  pattern.lastIndex = from;
  const match = pattern.exec(xml);
  return match && match.index < before ? match.index + match[0].length : -1;
}

/**
 * The fields of each `<device>` element: those written between its opening and the next
 * `<device>`, `<deviceList>` or `</device>`, which is where UDA places a device's own fields
 * (its embedded devices follow inside its deviceList).
 */
function deviceSegments(xml: string): string[] {
  const segments: string[] = [];
  const boundary = /<(?:[A-Za-z_][\w.-]*:)?(?:device|deviceList)(?:\s[^<>]*)?>|<\/(?:[A-Za-z_][\w.-]*:)?device\s*>/g;
  let start = openingEnd(xml, 'device', 0, xml.length);
  while (start >= 0 && segments.length < MAX_DEVICES) {
    boundary.lastIndex = start;
    const next = boundary.exec(xml);
    segments.push(xml.slice(start, next ? next.index : xml.length));
    start = openingEnd(xml, 'device', start, xml.length);
  }
  return segments;
}

/** One field of a device segment: the text between `<name>` and the next `</`. */
function readField(segment: string, name: string): string | null {
  const start = openingEnd(segment, name, 0, segment.length);
  if (start < 0) return null;
  const close = segment.indexOf('</', start);
  return fieldText(segment.slice(start, close < 0 ? segment.length : close));
}

function readDevice(segment: string): DeviceDescription {
  return Object.fromEntries(DESCRIPTION_FIELDS.map((name) => [name, readField(segment, name)])) as DeviceDescription;
}

/**
 * The description of the device `udn` names within a description document (the root device or
 * one embedded in it), and whether it is the root; the root device when `udn` is not found or
 * not given; undefined when the text holds no `<device>` at all.
 */
export function parseDeviceDescription(
  xml: string,
  udn?: string,
): { device: DeviceDescription; root: boolean } | undefined {
  const devices = deviceSegments(xml).map(readDevice);
  if (devices.length === 0) return undefined;
  const wanted = udn?.toLowerCase();
  const index = wanted === undefined ? -1 : devices.findIndex((device) => device.UDN?.toLowerCase() === wanted);
  return { device: devices[Math.max(index, 0)]!, root: index <= 0 };
}
