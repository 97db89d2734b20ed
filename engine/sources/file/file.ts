import path from 'node:path';
import { nullable } from '../shared/fact-schema.js';
import { pathGlobSchema } from '../shared/path-glob-schema.js';
import type { SourceDefinition } from '../source-definition.js';
import { DEVICE_PARENT_FACT_SCHEMAS, DEVICE_PARENT_FACTS } from './device-parent-facts.js';
import { expandPathGlob } from './expand-glob.js';
import { fileGlobs, fileMismatch, type FileDetect } from './file-detect.js';
import { fileDevice, readFileFacts } from './file-facts.js';
import { FileSource } from './file-source.js';

export const fileSource: SourceDefinition<Record<string, never>, FileDetect, 'file'> = {
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
    ...DEVICE_PARENT_FACTS,
  },
  requiredFacts: ['path'],
  factSchemas: { major: nullable('integer'), minor: nullable('integer'), ...DEVICE_PARENT_FACT_SCHEMAS },
  globKeys: { path: 'path' },
  create: (_config, setup) => new FileSource(fileGlobs(setup.blocks), setup),
  async enumerate(blocks) {
    const found = [];
    for (const glob of fileGlobs(blocks)) {
      for (const candidate of expandPathGlob(glob)) {
        const file = await readFileFacts(candidate);
        if (file) found.push(fileDevice(file));
      }
    }
    return found;
  },
  describe: ({ file }, key) => `file ${file?.path ?? key}`,
  mismatch: fileMismatch,
  completeFacts(file) {
    const filePath = String(file.path);
    return { name: path.basename(filePath), dir: path.dirname(filePath), ...file };
  },
};
