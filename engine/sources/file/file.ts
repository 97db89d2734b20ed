import path from 'node:path';
import { DEFAULT_RESYNC_MS, resyncMsSchema } from '../../core/folder-watch.js';
import { createLogger } from '../../core/log.js';
import { nullable } from '../shared/fact-schema.js';
import { sourceHoldMsSchema } from '../shared/hold-ms-schema.js';
import { pathGlobSchema } from '../shared/path-glob-schema.js';
import type { SourceDefinition } from '../source-definition.js';
import { DEVICE_PARENT_FACT_SCHEMAS, DEVICE_PARENT_FACTS } from './device-parent-facts.js';
import { expandPathGlob } from './expand-glob.js';
import { fileGlobs, fileMismatch, type FileDetect } from './file-detect.js';
import { fileDevice, readFileFacts } from './file-facts.js';
import { FileSource } from './file-source.js';

/** The file source's settings, under `sources.file` in the engine config. */
export type FileSourceConfig = Partial<{ resyncMs: number; holdMs: number }>;

export const fileSource: SourceDefinition<FileSourceConfig, FileDetect, 'file'> = {
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
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      resyncMs: resyncMsSchema(''),
      // Files come and go for good (a node removed, a file replaced): no hold unless asked for.
      holdMs: sourceHoldMsSchema(0),
    },
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
  create: (config, setup) => new FileSource(fileGlobs(setup.blocks), setup, config.resyncMs ?? DEFAULT_RESYNC_MS),
  async enumerate(blocks) {
    const found = [];
    const log = createLogger('warn');
    const refused = (escapedPath: string) => log.warn('file name is not valid UTF-8; ignored', { path: escapedPath });
    for (const glob of fileGlobs(blocks)) {
      for (const candidate of expandPathGlob(glob, refused)) {
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
