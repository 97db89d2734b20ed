// Each shipped profile, given the facts its real device presents, maps to a complete
// nuvlabox-peripheral document that Nuvla would accept.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { builtInBackendNames } from '../engine/backends/index.js';
import { nuvlaboxPeripheralSchema } from '../engine/backends/shared/nuvlabox-peripheral.js';
import type { Facts } from '../engine/core/facts.js';
import { mapPayload } from '../engine/map/map-payload.js';
import { loadProfiles } from '../engine/profiles/load-profiles.js';
import { ROOT, runCli } from './paths.js';

const host = { hostname: 'gw-01', arch: 'arm64' };
const event = { action: 'add' as const, at: '2026-11-22T10:00:00.000Z' };
const usbDevice = (
  vendorId: string,
  productId: string,
  strings: { manufacturer?: string; product?: string; serialNumber?: string },
  portPath = '1-1.2',
) => ({
  vendorId,
  productId,
  manufacturer: strings.manufacturer ?? null,
  product: strings.product ?? null,
  serialNumber: strings.serialNumber ?? null,
  busNumber: 1,
  deviceAddress: 5,
  portPath,
  devicePath: '/dev/bus/usb/001/005',
  interfaces: [],
});
const tty = (ttyPath: string, byId: string | null, interfaceNumber = 0) => ({
  path: ttyPath,
  byId,
  byPath: null,
  driver: 'cdc_acm',
  interfaceNumber,
});
const file = (filePath: string) => ({
  path: filePath,
  name: path.basename(filePath),
  dir: path.dirname(filePath),
  type: 'character',
  major: 81,
  minor: 0,
});

/** The facts each shipped profile's real device presents. */
const DEVICES: Record<string, Facts> = {
  'gps-ublox': {
    usb: usbDevice('1546', '01a7', {
      manufacturer: 'u-blox AG - www.u-blox.com',
      product: 'u-blox 7 - GPS/GNSS Receiver',
    }),
    serial: tty('/dev/ttyACM0', '/dev/serial/by-id/usb-u-blox_AG_-_www.u-blox.com_u-blox_7_-_GPS_GNSS_Receiver-if00'),
    probe: { response: '$GPRMC,,V,,,,,,,,,,N*53\r\n', hex: '', groups: ['RMC'] },
  },
  'zwave-aeotec-zstick-gen5': {
    usb: usbDevice('0658', '0200', {}),
    serial: tty('/dev/ttyACM1', '/dev/serial/by-id/usb-0658_0200-if00'),
    probe: { response: '', hex: '0601100115', groups: [] },
  },
  'zigbee-sonoff-zbdongle-p': {
    usb: usbDevice('10c4', 'ea60', {
      manufacturer: 'ITead',
      product: 'Sonoff Zigbee 3.0 USB Dongle Plus',
      serialNumber: 'a8e7d2c1b0',
    }),
    serial: {
      ...tty('/dev/ttyUSB0', '/dev/serial/by-id/usb-ITead_Sonoff_Zigbee_3.0_USB_Dongle_Plus_a8e7d2c1b0-if00-port0'),
      driver: 'cp210x',
    },
  },
  'arduino-uno': {
    usb: usbDevice('2341', '0043', { manufacturer: 'Arduino (www.arduino.cc)', serialNumber: '75833353035351F0E1C1' }),
    serial: tty('/dev/ttyACM0', null),
  },
  'coral-usb-accelerator': { usb: usbDevice('18d1', '9302', { manufacturer: 'Google Inc.' }) },
  'lte-modem-quectel': {
    usb: usbDevice('2c7c', '0125', { manufacturer: 'Quectel', product: 'EG25-G' }),
    serial: { ...tty('/dev/ttyUSB2', null, 2), driver: 'option' },
    probe: {
      response: 'ATI\r\r\nQuectel\r\nEG25\r\nRevision: EG25GGBR07A08M2G\r\n\r\nOK\r\n',
      hex: '',
      groups: ['EG25', 'EG25GGBR07A08M2G'],
    },
  },
  'mock-video0': { file: file('/dev/video0') },
  'rtl-sdr': {
    usb: usbDevice('0bda', '2838', { manufacturer: 'Realtek', product: 'RTL2838UHIDIR', serialNumber: '00000001' }),
  },
  'modbus-rtu-rs485': {
    usb: usbDevice('1a86', '7523', { product: 'USB Serial' }),
    serial: { ...tty('/dev/ttyUSB0', '/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0'), driver: 'ch341' },
    probe: {
      response: '\u0001\u0003\u0002\u0000\u00e7\u00f8\u000a',
      hex: '01 03 02 00 e7 f8 0a',
      groups: ['00', 'e7', 'f8', '0a'],
    },
  },
  'modbus-tcp-device': {
    network: {
      protocol: 'tcp',
      id: '192.168.1.20:502',
      addresses: ['192.168.1.20'],
      host: null,
      port: 502,
      tcp: {
        host: '192.168.1.20',
        port: 502,
        request: '00 01 00 00 00 05 ff 2b 0e 01 00',
        response: '',
        hex: '',
        groups: [],
        modbus: {
          unitId: 255,
          conformityLevel: 0x81,
          vendorName: 'Schneider Electric',
          productCode: 'BMX P34 2020',
          revision: 'v2.7',
          vendorUrl: null,
          productName: null,
          modelName: null,
          userApplicationName: null,
        },
      },
    },
  },
  'gps-nmea-usb-serial': {
    usb: usbDevice('10c4', 'ea60', {
      manufacturer: 'Silicon Labs',
      product: 'CP2102 USB to UART Bridge Controller',
      serialNumber: '0001',
    }),
    serial: {
      ...tty('/dev/ttyUSB1', '/dev/serial/by-id/usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0'),
      driver: 'cp210x',
    },
    probe: { response: '$GPGGA,123519,4807.038,N\r\n', hex: '', groups: ['GP', 'GGA'] },
  },
  'uvc-camera': {
    usb: {
      ...usbDevice('046d', '082d', {
        manufacturer: 'Logitech',
        product: 'HD Pro Webcam C920',
        serialNumber: 'A1B2C3D4',
      }),
      interfaces: [{ number: 0, class: '0e', subclass: '01', protocol: '00', driver: 'uvcvideo', className: 'Video' }],
      nodes: [0, 1].map((index) => ({
        subsystem: 'video4linux',
        devnode: `/dev/video${index}`,
        interface: 0,
        major: 81,
        minor: index,
        name: 'HD Pro Webcam C920',
        index,
      })),
    },
  },
  'usb-disk': {
    usb: {
      ...usbDevice('0781', '5567', { manufacturer: 'SanDisk', product: 'Cruzer Blade', serialNumber: '4C5300012307' }),
      interfaces: [
        { number: 0, class: '08', subclass: '06', protocol: '50', driver: 'usb-storage', className: 'Mass Storage' },
      ],
      nodes: [
        {
          subsystem: 'block',
          devnode: '/dev/sda',
          interface: 0,
          major: 8,
          minor: 0,
          size: 16008609792,
          partition: null,
        },
        { subsystem: 'block', devnode: '/dev/sda1', interface: 0, major: 8, minor: 1, size: 16007561216, partition: 1 },
      ],
    },
  },
  'lte-modem-qmi': {
    usb: {
      ...usbDevice('2c7c', '0125', { manufacturer: 'Quectel', product: 'EG25-G' }),
      nodes: [
        { subsystem: 'usbmisc', devnode: '/dev/cdc-wdm0', interface: 4, major: 180, minor: 176 },
        { subsystem: 'tty', devnode: '/dev/ttyUSB2', interface: 2, major: 188, minor: 2 },
      ],
      net: [{ name: 'wwan0', interface: 4, address: '6a:1f:0c:41:2e:9b' }],
    },
  },
  gpu: {
    file: {
      ...file('/dev/dri/renderD128'),
      major: 226,
      minor: 128,
      usb: null,
      pci: {
        vendorId: '10de',
        deviceId: '1eb8',
        subsystemVendorId: '10de',
        subsystemDeviceId: '12a2',
        classCode: '030200',
        driver: 'nvidia',
        slot: '0000:01:00.0',
        vendorName: 'NVIDIA Corporation',
        deviceName: 'TU104GL [Tesla T4]',
        className: '3D controller',
      },
    },
  },
  'onvif-camera': {
    network: {
      protocol: 'wsd',
      id: 'urn:uuid:00075f74-b3c1-11e0-9ae1-accc8e0b53a1',
      addresses: ['192.168.1.64'],
      host: null,
      port: 80,
      wsd: {
        endpoint: 'urn:uuid:00075f74-b3c1-11e0-9ae1-accc8e0b53a1',
        uuid: '00075f74-b3c1-11e0-9ae1-accc8e0b53a1',
        types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
        scopes: ['onvif://www.onvif.org/name/AXIS%20P1343', 'onvif://www.onvif.org/hardware/P1343'],
        xaddrs: ['http://192.168.1.64/onvif/device_service'],
        metadataVersion: 1,
        onvif: { name: 'AXIS P1343', hardware: 'P1343', profiles: [] },
      },
    },
  },
  'zigbee-network-coordinator': {
    network: {
      protocol: 'mdns',
      id: 'SLZB-06._zigbee-coordinator._tcp.local',
      addresses: ['192.168.1.40'],
      host: 'slzb-06.local',
      port: 6638,
      mdns: {
        type: '_zigbee-coordinator._tcp',
        instance: 'SLZB-06',
        name: 'SLZB-06._zigbee-coordinator._tcp.local',
        slug: 'SLZB-06._zigbee-coordinator._tcp.local',
        txt: { radio_type: 'znp', serial_number: '0x00124b0029aa1c2d' },
      },
    },
  },
  'ipp-printer': {
    network: {
      protocol: 'mdns',
      id: 'Office Printer._ipp._tcp.local',
      addresses: ['192.168.1.23'],
      host: 'brn001ba9123456.local',
      port: 631,
      mdns: {
        type: '_ipp._tcp',
        instance: 'Office Printer',
        name: 'Office Printer._ipp._tcp.local',
        slug: 'Office-Printer-7423c830._ipp._tcp.local',
        txt: { rp: 'ipp/print', ty: 'Brother HL-L2350DW series', usb_mfg: 'Brother', usb_mdl: 'HL-L2350DW series' },
      },
    },
  },
  'upnp-media-renderer': {
    network: {
      protocol: 'ssdp',
      id: 'uuid:RINCON_48A6B8C0FFEE01400',
      addresses: ['192.168.1.42'],
      host: null,
      port: null,
      ssdp: {
        udn: 'uuid:RINCON_48A6B8C0FFEE01400',
        deviceType: 'urn:schemas-upnp-org:device:MediaRenderer:1',
        friendlyName: 'Living Room',
        manufacturer: 'Sonos, Inc.',
        modelName: 'Sonos One',
        modelNumber: 'S18',
        serialNumber: '48-A6-B8-C0-FF-EE:1',
        rootDevice: false,
        types: ['urn:schemas-upnp-org:device:MediaRenderer:1'],
        location: 'http://192.168.1.42:1400/xml/device_description.xml',
        server: 'Linux UPnP/1.0 Sonos/70.3-35220 (ZPS18)',
      },
    },
  },
  'arduino-banner': {
    usb: usbDevice('2341', '0043', { manufacturer: 'Arduino (www.arduino.cc)', serialNumber: '75833353035351F0E1C1' }),
    serial: tty('/dev/ttyACM0', null),
    probe: { response: 'weather-station v1.4\r\n', hex: '', groups: ['weather-station', '1.4'] },
  },
};

const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
const validDocument = ajv.compile(nuvlaboxPeripheralSchema);

describe('shipped profiles', async () => {
  const { profiles, issues } = await loadProfiles([path.join(ROOT, 'profiles')], builtInBackendNames());

  test('at least eight, all valid, each with sample facts here', () => {
    assert.deepEqual(issues, []);
    assert.ok(profiles.length >= 8);
    assert.deepEqual(profiles.map(({ profile }) => profile.name).sort(), Object.keys(DEVICES).sort());
  });

  for (const { profile } of profiles) {
    test(`${profile.name} maps its device to a complete nuvlabox-peripheral document`, () => {
      const facts = { ...DEVICES[profile.name], host, event, params: {} };
      const document = mapPayload(profile, facts);
      assert.ok(
        validDocument(document),
        `${ajv.errorsText(validDocument.errors)}\n${JSON.stringify(document, null, 2)}`,
      );
      // The guide's mock sends exactly what the guide's script sends: a name and nothing more.
      const described = profile.name === 'mock-video0' ? ['name'] : ['name', 'description', 'interface'];
      for (const field of described) assert.equal(typeof document[field], 'string', field);
      assert.doesNotMatch(String(document.identifier), /null|undefined|\//);
    });
  }
});

describe('shipped profile tests', () => {
  test('every shipped profile has a test file beside it, and `engine test profiles` passes them all', async () => {
    const { profiles } = await loadProfiles([path.join(ROOT, 'profiles')], builtInBackendNames());
    for (const { file, profile } of profiles) {
      assert.ok(
        existsSync(file.replace(/\.ya?ml$/, '.test.yaml')) || (profile.tests?.length ?? 0) > 0,
        `${profile.name} has no tests`,
      );
    }
    const result = runCli(['test', 'profiles', '--format', 'json']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as {
      passed: number;
      failed: number;
      untested: string[];
      issues: unknown[];
      tests: { expected: string }[];
    };
    assert.deepEqual([report.failed, report.untested, report.issues], [0, [], []]);
    assert.ok(report.passed >= 2 * profiles.length, `only ${report.passed} tests`);
    // Near misses as well as matches, for every profile.
    assert.ok(report.tests.filter((item) => item.expected === 'no match').length >= profiles.length);
  });
});
