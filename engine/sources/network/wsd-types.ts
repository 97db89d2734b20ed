import { resolvePrefix, type NamespaceScope } from './wsd-xml.js';

/**
 * The namespaces of the WS-Discovery types peripherals announce, by the prefix profiles and
 * facts write them with. A type is a qualified name: senders choose their own prefixes
 * (`dn:`, `tdn:`, `ns1:`), so the engine names a type by its namespace, written with the prefix
 * below, or `{namespace}LocalName` for one not in this table.
 */
export const WSD_TYPE_NAMESPACES: Readonly<Record<string, string>> = {
  /** ONVIF network video transmitters (cameras, encoders) and displays. */
  dn: 'http://www.onvif.org/ver10/network/wsdl',
  /** ONVIF device service (`tds:Device`). */
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  /** Devices Profile for Web Services (`wsdp:Device`): printers, scanners, Windows hosts, wsdd. */
  wsdp: 'http://schemas.xmlsoap.org/ws/2006/02/devprof',
  /** Windows function discovery publication (`pub:Computer`: Windows and Samba hosts, wsdd). */
  pub: 'http://schemas.microsoft.com/windows/pub/2005/07',
  /** WSD printers (`wprt:PrintDeviceType`). */
  wprt: 'http://schemas.microsoft.com/windows/2006/08/wdp/print',
  /** WSD scanners (`wscn:ScanDeviceType`). */
  wscn: 'http://schemas.microsoft.com/windows/2006/08/wdp/scan',
};

const PREFIX_OF = new Map(Object.entries(WSD_TYPE_NAMESPACES).map(([prefix, uri]) => [uri, prefix]));

const LOCAL = '[A-Za-z_][\\w.-]*';

/** A type as a profile writes it: a prefix of the table, or a namespace in braces. */
export const WSD_TYPE_PATTERN = `^((${Object.keys(WSD_TYPE_NAMESPACES).join('|')}):${LOCAL}|\\{[^{}\\s]+\\}${LOCAL})$`;

/** The engine's name of a type in `namespace`: `dn:NetworkVideoTransmitter`, or `{uri}Name`. */
export function typeName(namespace: string, local: string): string {
  const prefix = PREFIX_OF.get(namespace);
  return prefix !== undefined ? `${prefix}:${local}` : `{${namespace}}${local}`;
}

/**
 * A type as written in a message (`tdn:NetworkVideoTransmitter`), named by the namespace its
 * prefix is declared with. A prefix declared nowhere keeps the name as written: ignoring it would
 * lose the type of a sender that forgot a declaration.
 */
export function typeFromMessage(written: string, scope: NamespaceScope | undefined): string {
  const colon = written.indexOf(':');
  const prefix = colon < 0 ? '' : written.slice(0, colon);
  const namespace = resolvePrefix(scope, prefix);
  if (namespace === '') return written;
  return typeName(namespace, written.slice(colon + 1));
}

/** A type's namespace and local name, for writing it into a Probe. */
export function splitType(name: string): { namespace: string; local: string } {
  if (name.startsWith('{')) {
    const close = name.indexOf('}');
    return { namespace: name.slice(1, close), local: name.slice(close + 1) };
  }
  const colon = name.indexOf(':');
  return { namespace: WSD_TYPE_NAMESPACES[name.slice(0, colon)] ?? '', local: name.slice(colon + 1) };
}
