import type { ProtocolDefinition } from './discovery.js';
import { withDefaults } from '../../core/with-defaults.js';
import { lintGlob } from '../shared/glob-lint.js';
import { SSDP_GLOB_KEYS, ssdpDetectSchema, ssdpMismatch, type SsdpDetect } from './ssdp-detect.js';
import { SsdpDiscoverer, type SsdpConfig } from './ssdp-discoverer.js';
import { DEFAULT_MAX_AGE_S, MAX_MAX_AGE_S } from './ssdp-message.js';

/**
 * SSDP (UPnP discovery): searches for the types the profiles name, listens to NOTIFY
 * alive/update/byebye, and reads each device's description from its LOCATION (plain http, on
 * the address the announcement came from only; bounded in size, time and concurrency).
 */
export const ssdpProtocol: ProtocolDefinition<SsdpDetect, SsdpConfig> = {
  protocol: 'ssdp',
  description:
    'UPnP devices over SSDP: M-SEARCH for the types profiles name, NOTIFY ssdp:alive/update/byebye, fresh for the max-age of CACHE-CONTROL, with the fields of the device description fetched from LOCATION.',
  detectSchema: ssdpDetectSchema,
  facts: {
    udn: "the device's UDN (uuid:...), its identity, the same at any address",
    deviceType:
      'device type URN from its description, e.g. urn:schemas-upnp-org:device:MediaRenderer:1 (the announced one when the description could not be read)',
    friendlyName: 'name its owner gave it, from the description; null when not read',
    manufacturer: 'manufacturer from the description; null when not read',
    modelName: 'model name from the description; null when not read',
    modelNumber: 'model number from the description; null when not read',
    serialNumber: 'serial number from the description; null when not read',
    rootDevice: 'true for a root device, false for a device embedded in another',
    types: 'the search targets it announced or answered (upnp:rootdevice, device and service type URNs), sorted',
    location: 'the LOCATION URL of its description as last announced',
    server: 'the SERVER header of its last announcement (OS, UPnP version, product), or null',
  },
  factSchemas: {
    rootDevice: { type: 'boolean' },
    types: { type: 'array', items: { type: 'string' } },
  },
  describe: (facts) =>
    [facts.friendlyName, facts.modelName, facts.udn].filter((part) => typeof part === 'string' && part).join(' ') ||
    String(facts.udn),
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxDevices: {
        type: 'integer',
        minimum: 1,
        maximum: 65536,
        default: 256,
        description:
          'UPnP devices tracked at once. An announcement of a new device beyond is ignored (with a warning once a minute) until a tracked one leaves or goes stale, so a flood of made-up USNs cannot grow memory or push out the devices already known.',
      },
      maxDevicesPerAddress: {
        type: 'integer',
        minimum: 1,
        maximum: 65536,
        default: 32,
        description: 'UPnP devices tracked at once from one address (a root device and its embedded ones count each).',
      },
      maxFreshSeconds: {
        type: 'integer',
        minimum: 2,
        maximum: MAX_MAX_AGE_S,
        default: DEFAULT_MAX_AGE_S,
        description:
          'An announcement counts as fresh for its CACHE-CONTROL max-age, but never longer than this: a device that vanished without ssdp:byebye (power cut, killed) is gone after at most this long. The source searches again before it goes stale, so a lower value notices vanished devices sooner at the cost of more searches. A max-age over a day is taken as a day; none given, 1800 s.',
      },
      descriptionMaxBytes: {
        type: 'integer',
        minimum: 1024,
        maximum: 1048576,
        default: 65536,
        description:
          'Bytes of a device description read at most; a longer one is abandoned and the device reported from its announcement alone.',
      },
      descriptionTimeoutMs: {
        type: 'integer',
        minimum: 100,
        maximum: 60000,
        default: 3000,
        description: 'Milliseconds a description fetch may take in all, connection to last byte.',
      },
      descriptionConcurrency: {
        type: 'integer',
        minimum: 1,
        maximum: 64,
        default: 4,
        description: 'Description fetches at once; the others wait their turn.',
      },
      searchMx: {
        type: 'integer',
        minimum: 1,
        maximum: 5,
        default: 2,
        description: 'MX of the M-SEARCH sent: devices spread their replies over up to this many seconds.',
      },
    },
  },
  lint(block, { at, report }) {
    for (const key of SSDP_GLOB_KEYS) lintGlob([...at, key], block[key], 'text', report);
  },
  mismatch: ssdpMismatch,
  // Its defaults filled in here: a config without `sources.network.ssdp` gives `{}`.
  create: (config, context) =>
    new SsdpDiscoverer(withDefaults(ssdpProtocol.configSchema!, config) as SsdpConfig, context),
};
