import type { JsonSchema } from '../../core/json-schema.js';
import { nullable } from '../shared/fact-schema.js';

const interfaceNumber: JsonSchema = {
  ...nullable('integer'),
  minimum: 0,
  description: 'The number of the USB interface it hangs below; null when below none.',
};

/** Schema of `usb.nodes`: what a test may give and what editors complete. */
export const usbNodesSchema: JsonSchema = {
  type: 'array',
  description: 'The device nodes below the USB device, in /dev order.',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['subsystem', 'devnode'],
    properties: {
      subsystem: {
        type: 'string',
        description: 'The kernel subsystem.',
        examples: ['tty', 'video4linux', 'hidraw', 'input', 'sound', 'block', 'usbmisc'],
      },
      devnode: { type: 'string', pattern: '^/dev/', examples: ['/dev/video0'] },
      interface: interfaceNumber,
      major: nullable('integer'),
      minor: nullable('integer'),
      name: { ...nullable('string'), description: 'video4linux: the V4L name; input: the input device name.' },
      index: {
        ...nullable('integer'),
        description: "video4linux: the node's index in its device; 0 is a UVC camera's capture node.",
      },
      size: { ...nullable('integer'), description: 'block: size in bytes.' },
      partition: { ...nullable('integer'), description: 'block: partition number; null for the whole disk.' },
    },
  },
};

/** Schema of `usb.net`. */
export const usbNetSchema: JsonSchema = {
  type: 'array',
  description: 'The network interfaces below the USB device.',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', examples: ['wwan0', 'eth1'] },
      interface: interfaceNumber,
      address: { ...nullable('string'), description: 'Hardware address, e.g. 02:1e:10:1f:00:00.' },
    },
  },
};
