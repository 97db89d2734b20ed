import type { Facts, PciFacts, UsbNetFacts, UsbNodeFacts } from '../../core/facts.js';

/** `if2`, or nothing for a node below no interface. */
const interfaceLabel = (number: number | null | undefined) =>
  number === null || number === undefined ? '' : ` if${number}`;

function nodeLine(node: UsbNodeFacts): string {
  const details = [
    node.name ? `"${node.name}"` : '',
    node.index === null || node.index === undefined ? '' : `index ${node.index}`,
    node.size === null || node.size === undefined ? '' : `${node.size} bytes`,
    node.partition === null || node.partition === undefined ? '' : `partition ${node.partition}`,
  ].filter(Boolean);
  return `${node.devnode}  ${node.subsystem}${interfaceLabel(node.interface)}${details.length ? `  ${details.join(', ')}` : ''}`;
}

const netLine = (net: UsbNetFacts) =>
  `${net.name}  net${interfaceLabel(net.interface)}${net.address ? `  ${net.address}` : ''}`;

function pciLine(pci: PciFacts): string {
  const name = [pci.vendorName, pci.deviceName].filter(Boolean).join(' ');
  return `on pci ${pci.slot} ${pci.vendorId}:${pci.deviceId}${name ? ` ${name}` : ''}${pci.driver ? ` (${pci.driver})` : ''}`;
}

/**
 * What a device has below it or belongs to, one line each, for `engine list` and the status
 * page: a USB device's nodes and network interfaces; a device file's USB and PCI parents. A tty
 * (whose `usb.*` is its parent's) gets none: its USB device lists them.
 */
export function deviceNodeLines(facts: Facts, source: string): string[] {
  if (source === 'usb' && facts.usb)
    return [...(facts.usb.nodes ?? []).map(nodeLine), ...(facts.usb.net ?? []).map(netLine)];
  if (source !== 'file' || !facts.file) return [];
  const { usb, pci } = facts.file;
  const lines: string[] = [];
  if (usb) {
    const name = [usb.vendorName ?? usb.manufacturer, usb.productName ?? usb.product].filter(Boolean).join(' ');
    lines.push(
      `on usb ${usb.portPath ?? ''} ${usb.vendorId}:${usb.productId}${name ? ` ${name}` : ''}`.replace('  ', ' '),
    );
  }
  if (pci) lines.push(pciLine(pci));
  return lines;
}
