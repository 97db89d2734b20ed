/*
 * Simulated devices shaped after real recordings and `udevadm info` dumps of the devices named
 * below: what makes each one awkward is
 * kept (interface strings, no strings at all, two drivers, blank and padded strings).
 */
import type { Testbed, UsbDeviceSpec } from './testbed.js';

/** Nortek HubZ (10c4:8a2a, a CP210x inside): two ports that only their interface strings tell apart. */
export const HUBZ: UsbDeviceSpec = {
  port: '1-2',
  vendorId: '10c4',
  productId: '8a2a',
  manufacturer: 'Silicon Labs',
  product: 'HubZ Smart Home Controller',
  serial: 'C0F003D3',
  interfaces: [
    { class: 0xff, driver: 'cp210x', name: 'HubZ Z-Wave Com Port' },
    { class: 0xff, driver: 'cp210x', name: 'HubZ ZigBee Com Port' },
  ],
};

/** Silicon Labs CP2105: a dual UART whose two ports carry their own interface strings. */
export const CP2105: UsbDeviceSpec = {
  port: '1-3',
  vendorId: '10c4',
  productId: 'ea70',
  manufacturer: 'Silicon Labs',
  product: 'CP2105 Dual USB to UART Bridge Controller',
  serial: '0093F3A1',
  interfaces: [
    { class: 0xff, driver: 'cp210x', name: 'Enhanced Com Port' },
    { class: 0xff, driver: 'cp210x', name: 'Standard Com Port' },
  ],
};

/** Aeotec Z-Stick Gen5 (0658:0200): a CDC ACM stick with no manufacturer, product or serial string. */
export const AEOTEC: UsbDeviceSpec = {
  port: '1-4',
  vendorId: '0658',
  productId: '0200',
  deviceClass: 2,
  interfaces: [
    { class: 2, subclass: 2, protocol: 1, driver: 'cdc_acm' },
    { class: 0x0a, driver: 'cdc_acm' },
  ],
};

/** WCH CH340 (1a86:7523): interface driver ch341, usb-serial port driver ch341-uart. */
export const CH340: UsbDeviceSpec = {
  port: '1-5',
  vendorId: '1a86',
  productId: '7523',
  product: 'USB2.0-Serial',
  interfaces: [{ class: 0xff, subclass: 1, protocol: 2, driver: 'ch341' }],
};

/** A Holtek keyboard whose manufacturer string is one space, and a product padded with blanks. */
export const BLANK_KEYBOARD: UsbDeviceSpec = {
  port: '1-6',
  vendorId: '04d9',
  productId: '1702',
  manufacturer: ' ',
  product: 'USB Keyboard   ',
  serial: '\t',
  interfaces: [
    { class: 3, subclass: 1, protocol: 1, driver: 'usbhid' },
    { class: 3, driver: 'usbhid', name: '   ' },
  ],
};

const serialMap = `map:
  name: { var: serial.description }
  available: true
  classes: [serial]
  interface: Serial
  vendor: { var: usb.vendorName }
  product: { var: usb.productName }
  device-path: { var: serial.path }
notify: [{ backend: nuvlabox }]
`;

/** Profiles for the fixtures, as a user would write them with the new facts. */
export const REAL_DEVICE_PROFILES: Record<string, string> = {
  // The HubZ's two ports differ only in their interface strings: one profile each, as Home Assistant's Z-Wave and Zigbee matchers.
  'hubz-zwave': `name: hubz-zwave
detect:
  usb: { vendorId: "10c4", productId: "8a2a" }
  serial: { interfaceName: "*z-wave*" }
${serialMap}`,
  'hubz-zigbee': `name: hubz-zigbee
detect:
  usb: { vendorId: "10c4", productId: "8a2a" }
  serial: { description: "*zigbee*" }
${serialMap}`,
  // No strings at all: the ids, and usb.ids names in the document.
  'aeotec-zstick': `name: aeotec-zstick
detect:
  usb: { vendorId: "0658", productId: "0200" }
  serial: { path: "/dev/ttyACM*" }
${serialMap}`,
  // The interface's driver (what lsusb and udev show), not the port's (ch341-uart).
  'ch34x-by-driver': `name: ch34x-by-driver
detect:
  serial: { path: "/dev/ttyUSB*" }
  when: { "==": [{ var: serial.usbDriver }, "ch341"] }
${serialMap}`,
  // Everything else on USB, ranked below every specific profile whatever its priority.
  'every-usb-device': `name: every-usb-device
priority: -1
detect:
  usb: {}
map:
  name: { cat: [{ var: usb.vendorId }, ":", { var: usb.productId }] }
  available: true
  classes: [usb]
  interface: USB
  vendor: { var: usb.vendorName }
  product: { var: usb.productName }
  device-path: { var: usb.devicePath }
notify: [{ backend: nuvlabox }]
`,
};

/** Plugs every fixture in, with the ttys udev would see. */
export async function plugRealDevices(testbed: Testbed): Promise<void> {
  const hubz = await testbed.addUsbDevice(HUBZ);
  await testbed.addTty({
    name: 'ttyUSB0',
    usb: hubz.path,
    interface: 0,
    driver: 'cp210x',
    byId: 'usb-Silicon_Labs_HubZ_Smart_Home_Controller_C0F003D3-if00-port0',
  });
  await testbed.addTty({
    name: 'ttyUSB1',
    usb: hubz.path,
    interface: 1,
    driver: 'cp210x',
    byId: 'usb-Silicon_Labs_HubZ_Smart_Home_Controller_C0F003D3-if01-port0',
  });
  const cp2105 = await testbed.addUsbDevice(CP2105);
  await testbed.addTty({ name: 'ttyUSB2', usb: cp2105.path, interface: 0, driver: 'cp210x' });
  await testbed.addTty({ name: 'ttyUSB3', usb: cp2105.path, interface: 1, driver: 'cp210x' });
  const aeotec = await testbed.addUsbDevice(AEOTEC);
  await testbed.addTty({ name: 'ttyACM0', usb: aeotec.path, byId: 'usb-0658_0200-if00' });
  const ch340 = await testbed.addUsbDevice(CH340);
  await testbed.addTty({
    name: 'ttyUSB4',
    usb: ch340.path,
    driver: 'ch341-uart',
    byId: 'usb-1a86_USB2.0-Serial-if00-port0',
  });
  await testbed.addUsbDevice(BLANK_KEYBOARD);
}
