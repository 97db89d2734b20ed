import { defineBackend } from '../backend-definition.js';
import { nuvlaboxPeripheralSchema, withoutBlanks } from '../shared/nuvlabox-peripheral.js';
import { NuvlaedgePublisher } from './nuvlaedge-publisher.js';
import { channelPaths } from './nuvlaedge-snapshot.js';
import { stateFile } from './nuvlaedge-state.js';

const DEFAULT_ROOT = '/var/lib/nuvlaedge';
/** Well inside the agent's 5-minute expiry, even if a few snapshots are lost. */
const DEFAULT_REPUBLISH_MS = 60_000;
/**
 * The agent (2.14+) reads one snapshot per manager every 120 s and forgets a peripheral
 * unreported for 300 s: a snapshot every 90 s is seen within 90 + 120 = 210 s at worst, which
 * leaves room for a late pass. Longer intervals would let present peripherals expire.
 */
const MAX_REPUBLISH_MS = 90_000;
/** The agent holds the channel lock only while it reads a handful of small files. */
const LOCK_TIMEOUT_MS = 10_000;

export const nuvlaedgeFilesBackend = defineBackend({
  type: 'nuvlaedge-files',
  description:
    'Publishes the whole set of peripherals as snapshot files for the NuvlaEdge agent (NuvlaEdge 2.11+ file broker).',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      root: {
        type: 'string',
        pattern: '^/',
        default: DEFAULT_ROOT,
        description: 'The NuvlaEdge shared volume (older installations: /srv/nuvlaedge/shared).',
      },
      managerName: {
        type: 'string',
        pattern: '^[a-z0-9][a-z0-9-]*$',
        default: 'engine',
        description:
          'Folder under <root>/.peripherals/ this engine publishes in. Snapshot file names drop the hyphens, which the agent does not accept.',
      },
      republishMs: {
        type: 'integer',
        minimum: 1000,
        maximum: MAX_REPUBLISH_MS,
        default: DEFAULT_REPUBLISH_MS,
        description:
          'Publish the unchanged set again this long after the last snapshot: the agent reads every 120 s and forgets peripherals not reported for 5 minutes, so at most 90000.',
      },
    },
  },
  notifySchema: { type: 'object', additionalProperties: false, properties: {} },
  documentSchema: nuvlaboxPeripheralSchema,
  document: withoutBlanks,
  ignoredFields: { description: "the NuvlaEdge agent's peripheral model has no description: it never reaches Nuvla" },
  caveat:
    'NuvlaEdge adds and removes peripherals only: later changes of the document never reach Nuvla, description is dropped, the agent reads every 120 s (2.14+), and the last peripheral this engine reports is removed only once another manager reports a non-empty set.',
  builtIn: {
    name: 'nuvlaedge',
    environment: { NUVLAEDGE_ROOT: `the shared volume (default ${DEFAULT_ROOT})` },
    configFrom: (env) => ({ root: env.NUVLAEDGE_ROOT || DEFAULT_ROOT }),
  },
  example: { config: { root: '/var/lib/nuvlaedge', managerName: 'engine' }, notify: {} },
  create(options, context) {
    const publisher = new NuvlaedgePublisher({
      channel: channelPaths(options.root, options.managerName),
      state: stateFile(context.stateDir, context.name),
      republishMs: options.republishMs,
      lockTimeoutMs: LOCK_TIMEOUT_MS,
      log: context.log,
    });
    // The persisted set is published at once: the agent expires what it does not hear about.
    void publisher.start();
    return publisher;
  },
});
