import type { Facts } from '../core/facts.js';
import { UsageError } from '../core/errors.js';
import type { NetworkDetect } from '../sources/network/network-detect.js';
import { SSDP_TYPE_PATTERN, SSDP_VALUE_MAX } from '../sources/network/ssdp-detect.js';
import { WSD_TYPE_PATTERN } from '../sources/network/wsd-types.js';
import { literalGlob } from './new-file-parents.js';

type NetworkFacts = NonNullable<Facts['network']>;

/** How NuvlaEdge's network manager names each protocol in a peripheral's `interface`. */
const INTERFACE_NAMES: Readonly<Record<string, string>> = {
  mdns: 'Bonjour/Avahi',
  ssdp: 'SSDP',
  wsd: 'WS-Discovery',
};

/** An mDNS service instance name's service type: `Office Printer._ipp._tcp.local` → `_ipp._tcp`. */
const SERVICE_TYPE = /(_[A-Za-z0-9-]+\._(?:tcp|udp))\.local\.?$/;

/**
 * The `detect.network` blocks `engine new` listens with for a key `engine list` shows
 * (`network:<protocol>:<id>`): the service type of an mDNS name, any root device for SSDP, any
 * type for WS-Discovery. A TCP peripheral announces nothing, so there is nothing to listen for.
 */
export function networkBlocksForKey(key: string): NetworkDetect[] {
  const [, protocol = '', ...rest] = key.split(':');
  const id = rest.join(':');
  if (protocol === 'mdns') {
    const type = SERVICE_TYPE.exec(id)?.[1];
    if (!type)
      throw new UsageError(`${key}: an mDNS key names a service instance, e.g. network:mdns:Printer._ipp._tcp.local`);
    return [{ mdns: { type } }];
  }
  if (protocol === 'ssdp' || protocol === 'wsd') return [{ [protocol]: {} }];
  if (protocol === 'tcp')
    throw new UsageError(
      `${key}: a TCP peripheral announces nothing to build a profile from; write its detect.network.tcp block by hand (docs/writing-profiles.md, TCP probes)`,
    );
  throw new UsageError(
    `${key}: no network protocol ${protocol}; engine list shows network:mdns:, :ssdp: and :wsd: keys`,
  );
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

/** The protocol's own facts of a network peripheral. */
function own(network: NetworkFacts): Record<string, unknown> {
  const facts = network[network.protocol];
  return facts && typeof facts === 'object' ? (facts as Record<string, unknown>) : {};
}

/** The words a profile name is made of: the instance name, the model, the ONVIF name. */
export function networkNameWords(network: NetworkFacts): string[] {
  const facts = own(network);
  const onvif = facts.onvif as { name?: unknown } | null | undefined;
  const words = [text(facts.instance), text(facts.manufacturer), text(facts.modelName), text(onvif?.name)];
  const found = words.filter((word): word is string => word !== undefined);
  return found.length > 0 ? found : [network.protocol, 'peripheral'];
}

const SSDP_TYPE = new RegExp(SSDP_TYPE_PATTERN);
const WSD_TYPE = new RegExp(WSD_TYPE_PATTERN);

/**
 * The `detect` block for a network peripheral: its kind, not its identity (a second printer of
 * the same model is the same kind of peripheral; the identifier tells them apart). Only what the
 * block's schema takes goes in: a WS-Discovery type written with a prefix the sender never
 * declared is left out, and so is a device type or a model that the SSDP block could not hold.
 * An SSDP device that leaves nothing to tell its kind by (its description not read, no device
 * type announced) is refused: a block that matched every UPnP device would register them all.
 */
export function networkDetect(network: NetworkFacts): Record<string, unknown> {
  const facts = own(network);
  if (network.protocol === 'mdns') return { network: { mdns: { type: facts.type } } };
  if (network.protocol === 'ssdp') {
    const block: Record<string, unknown> = {};
    const deviceType = text(facts.deviceType);
    if (deviceType && deviceType.length <= SSDP_VALUE_MAX && SSDP_TYPE.test(deviceType)) block.deviceType = deviceType;
    for (const field of ['manufacturer', 'modelName']) {
      const glob = text(facts[field]) && literalGlob(facts[field] as string);
      if (glob && glob.length <= SSDP_VALUE_MAX) block[field] = glob;
    }
    if (Object.keys(block).length === 0)
      throw new UsageError(
        `network:ssdp:${network.id}: its description was not read and it announced no device type, so nothing tells its kind; run engine list again once it answers, or write detect.network.ssdp by hand (docs/writing-profiles.md)`,
      );
    return { network: { ssdp: block } };
  }
  const types = [...new Set(Array.isArray(facts.types) ? facts.types : [])].filter(
    (type): type is string => typeof type === 'string' && WSD_TYPE.test(type),
  );
  return { network: { [network.protocol]: types.length > 0 ? { types } : {} } };
}

/** A `nuvlabox-peripheral` document for a network peripheral, in the shape NuvlaEdge's network manager sends. */
export function networkPeripheralMap(network: NetworkFacts, name: string): Record<string, unknown> {
  const facts = own(network);
  const at = `network.${network.protocol}`;
  const mdns = network.protocol === 'mdns';
  return {
    identifier: mdns ? { cat: [`${name}:`, { var: `${at}.slug` }] } : { cat: [`${name}:`, { var: 'network.id' }] },
    name: mdns
      ? { var: `${at}.instance` }
      : network.protocol === 'ssdp'
        ? { var: `${at}.friendlyName` }
        : (text((facts.onvif as { name?: unknown } | null)?.name) ?? name),
    available: true,
    classes: [
      mdns ? String(facts.type).replace(/^_|\._(tcp|udp)$/g, '') : network.protocol === 'ssdp' ? 'upnp' : 'wsd',
    ],
    interface: INTERFACE_NAMES[network.protocol] ?? network.protocol,
    ...(network.protocol === 'ssdp'
      ? { vendor: { var: `${at}.manufacturer` }, product: { var: `${at}.modelName` } }
      : {}),
  };
}
