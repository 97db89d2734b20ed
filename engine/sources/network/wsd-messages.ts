import { splitType, typeFromMessage, WSD_TYPE_NAMESPACES } from './wsd-types.js';
import { child, children, readXml, type XmlElement } from './wsd-xml.js';

// WS-Discovery (the 2005/04 version ONVIF and Windows use; 1.1's messages have the same shape and
// are read alike, by local name): what the engine reads and the one message it writes, the Probe.

/** What one message says of one endpoint; a list absent from the message is undefined. */
export interface EndpointNews {
  /** The endpoint reference's address (`urn:uuid:...`), the peripheral's identity. */
  address: string;
  types?: string[];
  scopes?: string[];
  xaddrs?: string[];
  metadataVersion?: number;
}

/** A message the engine acts on: others (a Probe from another client, a Resolve) are ignored. */
export interface DiscoveryMessage {
  kind: 'hello' | 'bye' | 'matches';
  /** The message's id, for dropping the repeats SOAP-over-UDP sends. */
  messageId: string | undefined;
  /**
   * The sender's AppSequence InstanceId: a responder raises it each time it restarts, so after its
   * Bye, what the same instance still says (wsdd answers Probes while it shuts down) is stale.
   */
  instanceId: string | undefined;
  endpoints: EndpointNews[];
}

/** Bounds on what one message may list; more is cut, not refused. */
export const MESSAGE_LIMITS = { endpoints: 32, listItems: 32, itemChars: 512, addressChars: 256 } as const;

const BODY_KINDS: Readonly<Record<string, { kind: DiscoveryMessage['kind']; item?: string }>> = {
  Hello: { kind: 'hello' },
  Bye: { kind: 'bye' },
  ProbeMatches: { kind: 'matches', item: 'ProbeMatch' },
  ResolveMatches: { kind: 'matches', item: 'ResolveMatch' },
};

/** Reads a datagram as a WS-Discovery message, or undefined when it is not one. */
export function parseDiscoveryMessage(datagram: Buffer | string): DiscoveryMessage | undefined {
  const envelope = readXml(typeof datagram === 'string' ? datagram : datagram.toString('utf8'));
  if (envelope?.name !== 'Envelope') return undefined;
  const payload = child(envelope, 'Body')?.children[0];
  const body = payload && BODY_KINDS[payload.name];
  if (!body) return undefined;
  const items = body.item ? children(payload, body.item) : [payload];
  const endpoints = items
    .slice(0, MESSAGE_LIMITS.endpoints)
    .map(readEndpoint)
    .filter((endpoint) => endpoint !== undefined);
  if (endpoints.length === 0) return undefined;
  const header = child(envelope, 'Header');
  const messageId = child(header, 'MessageID')?.text.trim().slice(0, MESSAGE_LIMITS.addressChars);
  const instanceId = child(header, 'AppSequence')?.attributes.get('InstanceId')?.slice(0, 32);
  return { kind: body.kind, messageId: messageId || undefined, instanceId, endpoints };
}

function readEndpoint(item: XmlElement): EndpointNews | undefined {
  const address = normalizeAddress(child(child(item, 'EndpointReference'), 'Address')?.text ?? '');
  if (address === '' || address.length > MESSAGE_LIMITS.addressChars) return undefined;
  const news: EndpointNews = { address };
  const types = child(item, 'Types');
  if (types) news.types = words(types.text).map((written) => typeFromMessage(written, types.scope));
  const scopes = child(item, 'Scopes');
  if (scopes) news.scopes = words(scopes.text);
  const xaddrs = child(item, 'XAddrs');
  if (xaddrs) news.xaddrs = words(xaddrs.text);
  const version = child(item, 'MetadataVersion')?.text.trim();
  if (version && /^\d{1,10}$/.test(version)) news.metadataVersion = Number(version);
  return news;
}

/** UUIDs are case-insensitive: one endpoint is one id however a message writes it. */
function normalizeAddress(text: string): string {
  const address = text.trim();
  return /^urn:uuid:/i.test(address) ? address.toLowerCase() : address;
}

/** A whitespace-separated list, bounded, without duplicates or items too long to be real. */
function words(text: string): string[] {
  const items = new Set<string>();
  for (const item of text.split(/\s+/)) {
    if (items.size >= MESSAGE_LIMITS.listItems) break;
    if (item !== '' && item.length <= MESSAGE_LIMITS.itemChars) items.add(item);
  }
  return [...items];
}

const DISCOVERY = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/**
 * A Probe for peripherals of every type in `types` (engine names, `dn:NetworkVideoTransmitter`),
 * or for any peripheral when `types` is empty. Types of the engine's table keep their prefix
 * (wsdd answers only a Probe for `wsdp:Device` written so); others get `t0`, `t1`...
 */
export function probeMessage(messageId: string, types: readonly string[]): string {
  const declarations = new Map<string, string>();
  const written = types.map((name, index) => {
    const { namespace, local } = splitType(name);
    const known = name.startsWith('{') ? undefined : name.slice(0, name.indexOf(':'));
    const prefix = known && WSD_TYPE_NAMESPACES[known] === namespace ? known : `t${index}`;
    declarations.set(prefix, ` xmlns:${prefix}="${escapeXml(namespace)}"`);
    return `${prefix}:${local}`;
  });
  const typesElement =
    written.length > 0 ? `<d:Types${[...declarations.values()].join('')}>${written.join(' ')}</d:Types>` : '';
  return envelope('Probe', messageId, `<d:Probe>${typesElement}</d:Probe>`);
}

/**
 * A Resolve for one endpoint: it answers with its XAddrs (a ProbeMatch may leave them out, as
 * wsdd's does, for the client to resolve).
 */
export function resolveMessage(messageId: string, endpoint: string): string {
  return envelope(
    'Resolve',
    messageId,
    `<d:Resolve><a:EndpointReference><a:Address>${escapeXml(endpoint)}</a:Address></a:EndpointReference></d:Resolve>`,
  );
}

function envelope(action: string, messageId: string, body: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"' +
    ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"' +
    ` xmlns:d="${DISCOVERY}">` +
    '<s:Header>' +
    `<a:Action>${DISCOVERY}/${action}</a:Action>` +
    `<a:MessageID>${escapeXml(messageId)}</a:MessageID>` +
    '<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>' +
    '</s:Header>' +
    `<s:Body>${body}</s:Body>` +
    '</s:Envelope>'
  );
}
