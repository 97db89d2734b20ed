import { pathGlobSchema, type SourceDefinition } from './source-definition.js';

export const fileSource: SourceDefinition = {
  kind: 'file',
  description: 'Paths on the filesystem (device nodes, sockets, files), watched with inotify.',
  detectSchema: {
    type: 'object',
    description: 'Matches a path that exists.',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: pathGlobSchema('Absolute path.', '/dev/video*'),
    },
    examples: [{ path: '/dev/video*' }],
  },
  facts: {
    path: 'the path',
    name: 'its last segment',
    dir: 'the folder holding it',
    type: 'file, directory, character, block, socket, fifo or symlink',
    major: 'major device number, for device nodes',
    minor: 'minor device number, for device nodes',
  },
};
