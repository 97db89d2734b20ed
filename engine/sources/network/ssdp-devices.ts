import type { Announcement, DiscoveryContext } from './discovery.js';
import { typeSatisfies } from './ssdp-detect.js';
import { DESCRIPTION_FIELDS, type DeviceDescription } from './ssdp-description.js';
import { maxAgeSeconds, udnOfUsn, type SsdpMessage } from './ssdp-message.js';

/** Bounds of the device table, from `sources.network.ssdp`. */
export type SsdpTableLimits = {
  /** Devices tracked at once; a new one beyond is ignored until one leaves or goes stale. */
  maxDevices: number;
  /** Devices tracked at once from one sender address, so that one host cannot fill the table. */
  maxDevicesPerAddress: number;
  /** An announcement is taken as fresh this long at most, whatever its max-age says. */
  maxFreshSeconds: number;
};

/** Types kept per device: a device and its services are a handful, never hundreds. */
const MAX_TYPES = 32;
/** A LOCATION whose fetch failed is tried again no sooner than this. */
const FETCH_RETRY_MS = 30_000;

/**
 * The table's key of a UDN. UDNs that differ only in case are one device: a UUID is the same
 * whichever case spells it (RFC 9562), and a device whose stack writes it in capitals in one
 * message and in small letters in another must not be registered twice.
 */
const keyOf = (udn: string) => udn.toLowerCase();

/** One device as heard: its last announcement's headers and its description, when fetched. */
interface TrackedDevice {
  /** As the first message that made it tracked spells it: its id and fact, never another case of it. */
  udn: string;
  address: string;
  location: string | undefined;
  configId: string | undefined;
  server: string | undefined;
  types: Set<string>;
  heardAsRoot: boolean;
  description: { from: string; device: DeviceDescription; root: boolean } | undefined;
  /** The location + CONFIGID the last fetch was for, and when another may be tried. */
  triedFrom: string | undefined;
  retryAt: number;
  fetching: boolean;
  freshUntil: number;
  reported: boolean;
}

/** What the table asks of its owner: fetch a description (resolving when the device may be reported). */
export type DescribeDevice = (udn: string, location: string | undefined, address: string) => Promise<DescribeResult>;
export type DescribeResult = { device: DeviceDescription; root: boolean } | { failed: string };

/**
 * The devices the SSDP protocol tracks, fed with parsed datagrams: it decides what is worth
 * tracking (the types the blocks search for, and everything more of a device already tracked),
 * bounds how many, fetches each description once per LOCATION and CONFIGID, and tells the
 * context what it heard and what left.
 */
export class SsdpDeviceTable {
  private readonly devices = new Map<string, TrackedDevice>();
  private targets: readonly string[] = [];

  constructor(
    private readonly context: Pick<DiscoveryContext, 'heard' | 'left'>,
    private readonly limits: SsdpTableLimits,
    private readonly describe: DescribeDevice,
    private readonly full: (fields: Record<string, unknown>) => void,
  ) {}

  setTargets(targets: readonly string[]): void {
    this.targets = targets;
  }

  get size(): number {
    return this.devices.size;
  }

  /** A NOTIFY or search reply from `sender` (already checked to be on an allowed network). */
  receive(message: SsdpMessage, sender: string, now = Date.now()): void {
    const { headers } = message;
    if (message.kind === 'search') return;
    const udn = udnOfUsn(headers.get('usn'));
    if (!udn) return;
    const nts = message.kind === 'notify' ? headers.get('nts')?.toLowerCase() : 'ssdp:alive';
    if (nts === 'ssdp:byebye') return this.leave(udn);
    if (nts !== 'ssdp:alive' && nts !== 'ssdp:update') return;
    const type = (message.kind === 'notify' ? headers.get('nt') : headers.get('st')) ?? '';
    const device = this.devices.get(keyOf(udn)) ?? this.track(udn, type, sender, now);
    if (!device) return;
    if (type && !type.startsWith('uuid:') && device.types.size < MAX_TYPES) device.types.add(type);
    if (type === 'upnp:rootdevice') device.heardAsRoot = true;
    device.address = sender;
    device.location = headers.get('location') ?? device.location;
    device.configId = headers.get('configid.upnp.org') ?? device.configId;
    device.server = headers.get('server') ?? device.server;
    // ssdp:update carries no max-age: the device's freshness is the one it had.
    if (nts === 'ssdp:alive') {
      const seconds = Math.min(maxAgeSeconds(headers.get('cache-control')), this.limits.maxFreshSeconds);
      device.freshUntil = now + seconds * 1000;
    }
    this.refresh(device, now);
  }

  /** Forgets what the table holds (the discoverer stopped). */
  clear(): void {
    this.devices.clear();
  }

  private leave(udn: string): void {
    const key = keyOf(udn);
    const device = this.devices.get(key);
    if (!device) return;
    this.devices.delete(key);
    this.context.left('ssdp', device.udn);
  }

  /** Starts tracking a device when its type is searched for and the bounds allow; undefined otherwise. */
  private track(udn: string, type: string, sender: string, now: number): TrackedDevice | undefined {
    if (!this.targets.some((target) => typeSatisfies(type, target))) return undefined;
    if (this.devices.size >= this.limits.maxDevices) this.dropStale(now);
    const fromSender = [...this.devices.values()].filter((device) => device.address === sender).length;
    if (this.devices.size >= this.limits.maxDevices || fromSender >= this.limits.maxDevicesPerAddress) {
      this.full({ udn, address: sender, tracked: this.devices.size, fromAddress: fromSender });
      return undefined;
    }
    const device: TrackedDevice = {
      udn,
      address: sender,
      location: undefined,
      configId: undefined,
      server: undefined,
      types: new Set(),
      heardAsRoot: false,
      description: undefined,
      triedFrom: undefined,
      retryAt: 0,
      fetching: false,
      freshUntil: now,
      reported: false,
    };
    this.devices.set(keyOf(udn), device);
    return device;
  }

  /** Devices whose announcements went stale (the source has let them go too) make room. */
  private dropStale(now: number): void {
    for (const [key, device] of this.devices) if (device.freshUntil <= now) this.devices.delete(key);
  }

  /** Fetches the description when LOCATION or CONFIGID changed, else reports the device as heard again. */
  private refresh(device: TrackedDevice, now: number): void {
    const from = `${device.location ?? ''} ${device.configId ?? ''}`;
    if (device.fetching) return;
    if (device.description?.from !== from && (device.triedFrom !== from || now >= device.retryAt)) {
      device.fetching = true;
      device.triedFrom = from;
      void this.describe(device.udn, device.location, device.address).then((result) => {
        device.fetching = false;
        if (this.devices.get(keyOf(device.udn)) !== device) return;
        if ('failed' in result) device.retryAt = Date.now() + FETCH_RETRY_MS;
        else device.description = { from, ...result };
        this.report(device, Date.now());
      });
      // Reported once the fetch settles, with its fields; until then a device never reported waits.
      if (!device.reported) return;
    }
    this.report(device, now);
  }

  private report(device: TrackedDevice, now: number): void {
    if (device.freshUntil <= now) return;
    device.reported = true;
    this.context.heard(announcementOf(device, device.freshUntil - now));
  }
}

function announcementOf(device: TrackedDevice, freshMs: number): Announcement {
  const description = device.description?.device;
  const fields = Object.fromEntries(
    DESCRIPTION_FIELDS.filter((name) => name !== 'UDN').map((name) => [name, description?.[name] ?? null]),
  );
  // Without a description (refused or failed), the device type it announced stands in.
  fields.deviceType ??= [...device.types].find((type) => type.includes(':device:')) ?? null;
  return {
    protocol: 'ssdp',
    id: device.udn,
    addresses: [device.address],
    facts: {
      udn: device.udn,
      ...fields,
      rootDevice: device.heardAsRoot || device.description?.root === true,
      types: [...device.types].sort(),
      location: device.location ?? null,
      server: device.server ?? null,
    },
    freshMs,
  };
}
