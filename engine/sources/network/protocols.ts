import type { ProtocolDefinition } from './discovery.js';
import { mdnsProtocol } from './mdns.js';
import { ssdpProtocol } from './ssdp.js';
import { tcpProtocol } from './tcp.js';
import { wsdProtocol } from './wsd.js';

/**
 * The network source's protocols, in the order their blocks appear under `detect.network`.
 * Adding one: its files beside this one, its test, one entry here.
 */
export const PROTOCOLS: readonly ProtocolDefinition[] = [
  mdnsProtocol as ProtocolDefinition,
  ssdpProtocol as ProtocolDefinition,
  wsdProtocol as ProtocolDefinition,
  tcpProtocol as ProtocolDefinition,
];
