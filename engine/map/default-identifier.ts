import type { Facts } from '../core/facts.js';

// Only characters the NuvlaBox agent can use safely in a file name survive.
const clean = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * The identifier candidates a device gets when its profile's map gives none, in order (see
 * resolve-identifiers.ts for how a later one is chosen). For USB: `vid:pid:serial`, then, for
 * two devices that report the same serial number (clones often do), `vid:pid:serial@portPath`;
 * without a serial number, `vid:pid@portPath`; each with `:ifN` for a tty on interface N of a
 * composite device. For a path: the path with its separators replaced. For a network
 * peripheral: its protocol and id (`mdns:Office_Printer._ipp._tcp.local`, `ssdp:uuid:...`).
 */
export function defaultIdentifierCandidates(facts: Facts): string[] {
  const { usb, serial, file, network } = facts;
  if (network) return [`${network.protocol}:${clean(network.id)}`];
  if (usb) {
    const base = `${usb.vendorId}:${usb.productId}`;
    const port = usb.portPath ? `@${clean(usb.portPath)}` : '';
    const tty = serial?.interfaceNumber != null ? `:if${serial.interfaceNumber}` : '';
    if (!usb.serialNumber) return [`${base}${port}${tty}`];
    const serialNumber = `:${clean(usb.serialNumber)}`;
    const bySerial = `${base}${serialNumber}${tty}`;
    return port ? [bySerial, `${base}${serialNumber}${port}${tty}`] : [bySerial];
  }
  const path = serial?.path ?? file?.path;
  return path ? [clean(path.replace(/^\//, ''))] : [];
}

/**
 * The identifier a device gets when its profile's map gives none and no other present device
 * shares it: the first of defaultIdentifierCandidates, e.g. `vid:pid:serial` or `vid:pid@portPath`.
 */
export function defaultIdentifier(facts: Facts): string | undefined {
  return defaultIdentifierCandidates(facts)[0];
}
