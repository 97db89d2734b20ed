import type { JsonSchema } from '../../core/json-schema.js';
import { nullable } from '../shared/fact-schema.js';
import { DEVICE_RESET_HOLD_MS, sourceHoldMsSchema } from '../shared/hold-ms-schema.js';
import { pathGlobSchema } from '../shared/path-glob-schema.js';
import { sysfsResyncMsSchema } from '../shared/rescan-trigger.js';
import { probeExpectSchema, probeWriteSchema } from '../shared/probe-bytes-schema.js';
import type { SourceDefinition } from '../source-definition.js';
import { serialMismatch, type SerialDetect } from './serial-detect.js';
import { lintSerialBlock, serialDistinguishes } from './serial-lint.js';
import { SerialSource, type SerialSourceOptions } from './serial-source.js';
import { enumerateSerialPorts, serialDevice } from './serial-sysfs.js';

/**
 * The `sources.serial` settings of the config file the source reads; the others (probe
 * concurrency, retries, lock folders) are the prober's.
 */
export type SerialConfig = Partial<
  Pick<SerialSourceOptions, 'mode' | 'pollIntervalMs' | 'resyncMs'> & { holdMs: number }
>;

const probeSchema: JsonSchema = {
  type: 'object',
  description:
    'Confirms the device by talking to it: opens the port exclusively, writes `write`, reads until `expect` matches or `timeoutMs` passes, closes. Ports locked by another program are skipped.',
  additionalProperties: false,
  required: ['expect'],
  properties: {
    baudRate: {
      type: 'integer',
      minimum: 50,
      maximum: 4000000,
      default: 9600,
      description: 'Line speed in baud.',
      examples: [9600, 115200],
    },
    dataBits: { enum: [5, 6, 7, 8], default: 8, description: 'Data bits per character.' },
    parity: { enum: ['none', 'even', 'odd', 'mark', 'space'], default: 'none', description: 'Parity bit.' },
    stopBits: { enum: [1, 1.5, 2], default: 1, description: 'Stop bits.' },
    write: probeWriteSchema('01 03 00 00 00 01 84 0a', 'AT\r'),
    expect: probeExpectSchema('probe.groups', '^\\$G[PN](GGA|RMC),', '01 03 02 ?? ??'),
    timeoutMs: {
      type: 'integer',
      minimum: 50,
      maximum: 60000,
      default: 2000,
      description: 'How long to wait for a matching reply, in milliseconds.',
    },
    dtr: {
      type: 'boolean',
      default: true,
      description:
        'false: DTR is lowered right after the port opens, before anything is written, and the port is opened without HUPCL so that closing it moves no line. On Linux the kernel still raises DTR during open itself, so a board that resets on that edge (Arduino auto-reset) can reset once; what this guarantees is that the probe holds DTR low while it talks.',
    },
    rts: {
      type: 'boolean',
      default: true,
      description:
        'false: RTS is lowered right after the port opens, before anything is written (a board wired to reset or stay in its bootloader while RTS is up can then answer). Same limits as `dtr`.',
    },
  },
};

export const serialSource: SourceDefinition<SerialConfig, SerialDetect, 'serial'> = {
  kind: 'serial',
  description: 'Serial ttys from /sys/class/tty, each with its USB parent, optionally confirmed by a probe.',
  detectSchema: {
    type: 'object',
    description: 'Matches a serial tty. With `detect.usb`, the tty must belong to that USB device.',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      path: pathGlobSchema('Device node of the tty.', '/dev/ttyACM*'),
      interfaceNumber: {
        type: 'integer',
        minimum: 0,
        maximum: 255,
        description: 'USB interface number of the tty, for composite devices with several ports.',
      },
      interfaceName: {
        type: 'string',
        minLength: 1,
        description:
          'Glob on the string of the USB interface the tty belongs to (e.g. `*Z-Wave*` for one port of a Nortek HubZ), case-insensitive, fnmatch rules.',
        examples: ['*Z-Wave*'],
      },
      description: {
        type: 'string',
        minLength: 1,
        description:
          'Glob on the port description as pyserial and Home Assistant give it: "product - interface" when both strings exist, else whichever exists; case-insensitive, fnmatch rules.',
        examples: ['*zigbee*'],
      },
      probe: probeSchema,
    },
    examples: [{ path: '/dev/ttyACM*', probe: { baudRate: 9600, expect: '^\\$G[PN]' } }],
  },
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      mode: {
        enum: ['auto', 'polling'],
        default: 'auto',
        description:
          'How new ttys are noticed. auto: inotify on /dev and /dev/serial, and every USB change; polling: re-read sysfs every pollIntervalMs.',
      },
      pollIntervalMs: { type: 'integer', minimum: 200, default: 5000, description: 'Interval of the polling mode.' },
      resyncMs: sysfsResyncMsSchema,
      probeConcurrency: {
        type: 'integer',
        minimum: 1,
        maximum: 64,
        default: 8,
        description: 'How many ports are probed at once (never more than one probe per port).',
      },
      busyRetryMs: {
        type: 'integer',
        minimum: 100,
        default: 10000,
        description: 'When to try again a port held by another program or that could not be opened yet.',
      },
      openRetryMs: {
        type: 'integer',
        minimum: 0,
        maximum: 60000,
        default: 3000,
        description: 'How long a first open failing with EACCES or EBUSY is retried (udev still setting permissions).',
      },
      maxProbeBytes: {
        type: 'integer',
        minimum: 16,
        maximum: 1048576,
        default: 4096,
        description: 'Bytes read from a port before a probe gives up on a match.',
      },
      lockFolders: {
        type: 'array',
        items: { type: 'string', pattern: '^/' },
        default: ['/var/lock', '/run/lock'],
        description:
          'Where UUCP lock files (LCK..ttyUSB0) are honoured: a port whose lock file names a live process is not probed, a stale one is removed. A probe takes its own lock file in the first folder that accepts it and removes it after; when none does, it probes without one.',
      },
      holdMs: sourceHoldMsSchema(DEVICE_RESET_HOLD_MS),
    },
  },
  facts: {
    path: 'device node, e.g. /dev/ttyACM0',
    byId: '/dev/serial/by-id link, or null',
    byPath: '/dev/serial/by-path link, or null',
    driver:
      "the tty's own driver: the usb-serial port's (ch341-uart, cp210x, ftdi_sio, option1), cdc_acm, or the UART's (serial8250)",
    usbDriver:
      'the driver of the USB interface the tty belongs to (udev ID_USB_DRIVER, what lsusb shows: ch341, cp210x, ftdi_sio, option, cdc_acm); null off USB',
    interfaceNumber: 'USB interface number of the tty',
    interfaceName:
      'string of the USB interface the tty belongs to, e.g. "HubZ ZigBee Com Port"; null when blank or none',
    description:
      'pyserial-style description: "product - interface" when both strings exist, else whichever exists; null when neither',
  },
  requiredFacts: ['path'],
  factSchemas: { interfaceNumber: nullable('integer') },
  carries: ['usb'],
  globKeys: { path: 'path', interfaceName: 'text', description: 'text' },
  create: ({ mode, pollIntervalMs, resyncMs }, setup) =>
    new SerialSource(setup, {
      ...(mode ? { mode } : {}),
      ...(pollIntervalMs ? { pollIntervalMs } : {}),
      ...(resyncMs ? { resyncMs } : {}),
    }),
  enumerate: async () => [...enumerateSerialPorts().values()].map(serialDevice),
  describe: ({ serial, usb }) =>
    `serial ${serial!.path}${serial!.byId ? ` (${serial!.byId})` : ''}${usb ? ` on usb ${usb.portPath} ${usb.vendorId}:${usb.productId} interface ${serial!.interfaceNumber}` : ''}`,
  mismatch: serialMismatch,
  distinguishes: serialDistinguishes,
  lint: lintSerialBlock,
};
