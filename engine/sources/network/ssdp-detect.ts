import type { JsonSchema } from '../../core/json-schema.js';
import { globHolds } from '../shared/glob-holds.js';

/** A profile's `detect.network.ssdp` block, after the profile schema has accepted it. */
export interface SsdpDetect {
  deviceType?: string;
  st?: string;
  friendlyName?: string;
  manufacturer?: string;
  modelName?: string;
  modelNumber?: string;
}

/** The keys of the block that are globs on a description field of the same name. */
export const SSDP_GLOB_KEYS = ['friendlyName', 'manufacturer', 'modelName', 'modelNumber'] as const;

/** The longest value of a key of the block, a type or a glob. */
export const SSDP_VALUE_MAX = 256;
/** What a type of the block (`deviceType`, `st`) is written with: printable ASCII, no space. */
export const SSDP_TYPE_PATTERN = '^[\\x21-\\x7e]+$';

const typeUrn = (description: string, example: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength: SSDP_VALUE_MAX,
  pattern: SSDP_TYPE_PATTERN,
  description,
  examples: [example],
});

const textGlob = (field: string, example: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength: SSDP_VALUE_MAX,
  description: `Glob on the device description's ${field}, case-insensitive, fnmatch rules.`,
  examples: [example],
});

export const ssdpDetectSchema: JsonSchema = {
  type: 'object',
  description:
    'Matches a UPnP device heard over SSDP (its announcements and its answers to the searches the engine sends for `deviceType` and `st`), with the fields of its device description. Without `deviceType` or `st` the block holds only for root devices, so that a device and the devices embedded in it are not one peripheral several times.',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    deviceType: typeUrn(
      'The device type URN of the description (`network.ssdp.deviceType`): searched for, and held by a device of that type at that version or a later one (UPnP devices are backward compatible).',
      'urn:schemas-upnp-org:device:MediaRenderer:1',
    ),
    st: typeUrn(
      'A search target the device must announce or answer (`network.ssdp.types`), e.g. a service type; searched for. Versions compare as for `deviceType`.',
      'urn:schemas-upnp-org:service:AVTransport:1',
    ),
    friendlyName: textGlob('friendlyName (the name its owner gave it)', 'Living Room*'),
    manufacturer: textGlob('manufacturer', 'Sonos*'),
    modelName: textGlob('modelName', '*Printer*'),
    modelNumber: textGlob('modelNumber', '2.*'),
  },
  examples: [{ deviceType: 'urn:schemas-upnp-org:device:MediaRenderer:1', manufacturer: 'Sonos*' }],
};

/** `urn:...:Name:3` as its base and version; a type without a trailing version is version 0. */
function typeVersion(type: string): { base: string; version: number } {
  const match = /^(.*):(\d{1,6})$/.exec(type);
  return match ? { base: match[1]!, version: Number(match[2]) } : { base: type, version: 0 };
}

/** Whether a heard type satisfies a wanted one: same type, the same version or a later one. */
export function typeSatisfies(heard: string, wanted: string): boolean {
  if (heard === wanted) return true;
  const have = typeVersion(heard);
  const want = typeVersion(wanted);
  return have.base === want.base && have.version >= want.version;
}

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Why a `detect.network.ssdp` block does not hold for a device's `network.ssdp` facts, or undefined when it does. */
export function ssdpMismatch(block: SsdpDetect, facts: Readonly<Record<string, unknown>>): string | undefined {
  const deviceType = asString(facts.deviceType);
  if (block.deviceType !== undefined && !(deviceType !== undefined && typeSatisfies(deviceType, block.deviceType)))
    return `network.ssdp.deviceType is ${JSON.stringify(deviceType ?? null)}, not ${block.deviceType}`;
  const types = Array.isArray(facts.types) ? facts.types.filter((type) => typeof type === 'string') : [];
  if (block.st !== undefined && !types.some((type) => typeSatisfies(type, block.st!)))
    return `network.ssdp.types has no ${block.st}`;
  if (block.deviceType === undefined && block.st === undefined && facts.rootDevice !== true)
    return 'an embedded device (a block without deviceType or st holds for root devices only)';
  for (const key of SSDP_GLOB_KEYS) {
    const pattern = block[key];
    if (pattern !== undefined && !globHolds(pattern, asString(facts[key]), 'text'))
      return `network.ssdp.${key} is ${JSON.stringify(facts[key] ?? null)}, not ${JSON.stringify(pattern)}`;
  }
  return undefined;
}

/**
 * The search targets the blocks ask for: their `deviceType` and `st`, and `upnp:rootdevice`
 * when a block names neither (it matches root devices by their description).
 */
export function searchTargets(blocks: readonly unknown[]): string[] {
  const targets = new Set<string>();
  for (const block of blocks as readonly SsdpDetect[]) {
    if (block.deviceType) targets.add(block.deviceType);
    if (block.st) targets.add(block.st);
    if (!block.deviceType && !block.st) targets.add('upnp:rootdevice');
  }
  return [...targets].sort();
}
