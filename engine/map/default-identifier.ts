import type { Facts } from '../core/facts.js';

// Only characters the NuvlaBox agent can use safely in a file name survive.
const clean = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * The identifier a device gets when its profile's map gives none: for USB `vid:pid:serial`,
 * else `vid:pid@portPath`, with `:ifN` for a tty on interface N of a composite device; for a
 * path, the path with its separators replaced; for a network peripheral, its protocol and id
 * (`mdns:Office_Printer._ipp._tcp.local`, `ssdp:uuid:...`).
 */
export function defaultIdentifier(facts: Facts): string | undefined {
  const { usb, serial, file, network } = facts;
  if (network) return `${network.protocol}:${clean(network.id)}`;
  if (usb) {
    const base = `${usb.vendorId}:${usb.productId}`;
    const where = usb.serialNumber ? `:${clean(usb.serialNumber)}` : usb.portPath ? `@${clean(usb.portPath)}` : '';
    const port = serial?.interfaceNumber != null ? `:if${serial.interfaceNumber}` : '';
    return `${base}${where}${port}`;
  }
  const path = serial?.path ?? file?.path;
  return path ? clean(path.replace(/^\//, '')) : undefined;
}
