// The `link` backend: a stable symlink (/run/devices/zwave -> /dev/ttyACM0) while a device is
// present, so that applications and container mounts never hard-code a port number.
import { lstat, rename, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { evaluateTemplate } from '../../map/map-payload.js';
import type { Facts } from '../../core/facts.js';
import type { JsonSchema } from '../../core/json-schema.js';
import type { Logger } from '../../core/log.js';
import type { ApplyResult, Backend, Change } from '../backend.js';
import { defineBackend, type NotifyOptions } from '../backend-definition.js';
import { LinkRecords } from './link-records.js';
import { prepareLinkFolder } from './link-root.js';

/** A profile's notify entry for a link backend: where the link goes, and what it points to. */
const linkNotifySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: {
      type: 'string',
      pattern: '^/',
      description: 'Where the link is made (absolute). Two devices may not share one.',
    },
    target: {
      type: ['string', 'object'],
      description:
        'What it points to: a JSON-logic expression over the facts, or a constant. Default: serial.path, else file.path, else usb.devicePath.',
      examples: [{ var: 'serial.byId' }],
    },
  },
} as const satisfies JsonSchema;

type LinkNotify = NotifyOptions<typeof linkNotifySchema>;

export const linkBackend = defineBackend({
  type: 'link',
  description:
    'Keeps a stable symlink to a device node (e.g. /run/devices/zwave -> /dev/ttyACM0) while the device is present, and removes it when the device goes.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      root: {
        type: 'string',
        pattern: '^/',
        description:
          'When set, every link must lie under this folder (e.g. /run/devices), once symlinked folders on its path are resolved.',
      },
    },
  },
  notifyLogic: [{ path: ['target'], over: 'facts' }],
  notifySchema: linkNotifySchema,
  followsFacts: true,
  builtIn: { name: 'link', environment: {}, configFrom: () => ({}) },
  example: { config: { root: '/run/devices' }, notify: { path: '/run/devices/zwave', target: { var: 'serial.path' } } },
  create: (options, context) => {
    const root = options.root === undefined ? undefined : path.resolve(options.root);
    return new LinkBackend(
      LinkRecords.forBackend(context.stateDir, context.name, context.log),
      root,
      context.log.child({ backend: context.name }),
    );
  },
});

/** What is at a path, without following a symlink there. */
async function kindAt(linkPath: string): Promise<'none' | 'symlink' | 'other'> {
  try {
    return (await lstat(linkPath)).isSymbolicLink() ? 'symlink' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw error;
  }
}

/** Points `linkPath` at `target` in one step: a symlink under a temporary name, renamed over it. */
async function placeLink(linkPath: string, target: string): Promise<void> {
  const temporary = path.join(path.dirname(linkPath), `.${path.basename(linkPath)}.${process.pid}.${Date.now()}.tmp`);
  await symlink(target, temporary);
  try {
    await rename(temporary, linkPath);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}

/** The link target for these facts: the profile's expression, else the device's node. */
function targetOf(options: LinkNotify, facts: Facts | undefined): unknown {
  if (options.target !== undefined) return evaluateTemplate(options.target, facts ?? {});
  return facts?.serial?.path ?? facts?.file?.path ?? facts?.usb?.devicePath ?? null;
}

class LinkBackend implements Backend<LinkNotify> {
  constructor(
    private readonly records: LinkRecords,
    private readonly root: string | undefined,
    private readonly log: Logger,
  ) {}

  /** Loads the records and makes again the links that vanished (a tmpfs cleared by a reboot). */
  async start(): Promise<void> {
    await this.records.load();
    for (const [linkPath, record] of this.records.entries()) {
      if ((await kindAt(linkPath)) !== 'none') continue;
      // The folder may have been swapped for a symlink out of root since the link was made.
      const escape = await prepareLinkFolder(linkPath, this.root).catch((error: Error) => error.message);
      if (escape) {
        this.log.warn('link not restored', { path: linkPath, identifier: record.identifier, reason: escape });
        continue;
      }
      await placeLink(linkPath, record.target);
      this.log.info('link restored', { path: linkPath, target: record.target, identifier: record.identifier });
    }
  }

  async apply(change: Change<LinkNotify>): Promise<ApplyResult> {
    // Unreadable records reject here, and the change is retried: nothing is decided without them.
    await this.records.load();
    try {
      return change.op === 'delete' ? await this.remove(change.identifier) : await this.place(change);
    } catch (error) {
      // Like nuvlaedge-files: a folder not writable yet (a volume not mounted yet) may become so.
      return {
        outcome: 'retry',
        reason: `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${(error as Error).message}`,
      };
    }
  }

  async close(): Promise<void> {
    await this.records.close();
  }

  private pathProblem(linkPath: string): string | undefined {
    if (!path.isAbsolute(linkPath) || path.normalize(linkPath) !== linkPath)
      return `link path ${linkPath} must be absolute and normalised`;
    if (this.root && !linkPath.startsWith(`${this.root}/`))
      return `link path ${linkPath} is not under the backend's root ${this.root}`;
    return undefined;
  }

  private async place(change: Change<LinkNotify>): Promise<ApplyResult> {
    const options = change.notify;
    const linkPath = options.path;
    const problem = this.pathProblem(linkPath);
    if (problem) return { outcome: 'permanent', reason: problem };
    const target = targetOf(options, change.facts);
    if (typeof target !== 'string' || target === '')
      return {
        outcome: 'permanent',
        reason: `the link target is ${JSON.stringify(target)}: the device has no such fact`,
      };
    const holder = this.records.get(linkPath);
    // Another device's link: not taken from it, but this one gets the path once it is free.
    if (holder && holder.identifier !== change.identifier) {
      return {
        outcome: 'retry',
        reason: `${linkPath} is already the link of ${holder.identifier}; waiting for it to be free`,
      };
    }
    const found = await kindAt(linkPath);
    if (found === 'other' || (found === 'symlink' && !holder)) {
      return { outcome: 'permanent', reason: `${linkPath} exists and was not made by this engine: left alone` };
    }
    const escape = await prepareLinkFolder(linkPath, this.root);
    if (escape) return { outcome: 'permanent', reason: escape };
    // The profile moved the link: the old one goes first.
    const previous = this.records.pathOf(change.identifier);
    if (previous !== undefined && previous !== linkPath) await this.remove(change.identifier);
    // Recorded before it is made: after a crash between the two, the link is still known as ours.
    await this.records.set(linkPath, { identifier: change.identifier, target });
    await placeLink(linkPath, target);
    this.log.info('link in place', { path: linkPath, target, identifier: change.identifier });
    return { outcome: 'acknowledged', remote: { path: linkPath, target } };
  }

  private async remove(identifier: string): Promise<ApplyResult> {
    const linkPath = this.records.pathOf(identifier);
    if (linkPath === undefined) return { outcome: 'acknowledged' };
    const found = await kindAt(linkPath);
    if (found === 'symlink') await unlink(linkPath);
    if (found === 'other')
      this.log.warn('the link was replaced by something else; left alone', { path: linkPath, identifier });
    await this.records.delete(linkPath);
    this.log.info('link removed', { path: linkPath, identifier });
    return { outcome: 'acknowledged' };
  }
}
