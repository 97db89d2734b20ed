// One snapshot file in a NuvlaEdge peripheral channel (docs/backends/nuvlaedge-files.md): the whole set
// of a manager's peripherals, as `<root>/.peripherals/<manager>/buffer/<MMDDYYYYhhmmss>_<sender>.json`.
import { access, mkdir, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { renameAndSync, writeAndSync } from '../../core/durable-file.js';
import { type FileLockOptions, withFileLock } from './nuvlaedge-lock.js';

/** The files of one manager's channel. */
export interface ChannelPaths {
  /** `<root>/.peripherals/<manager>`: the agent treats every folder there as a running manager. */
  folder: string;
  /** Where the agent reads (and deletes) snapshots. */
  buffer: string;
  lock: string;
  /**
   * Where a snapshot is written before it is renamed into `buffer`. It is in the channel folder,
   * not in `buffer`: the agent lists every entry of `buffer` and a name that is not
   * `<digits>_<alnum>.json` makes it abort the whole pass, whatever its extension.
   */
  temp: string;
  /** The name's part after `_`. */
  sender: string;
}

/**
 * The agent only accepts names matching `[a-zA-Z0-9]*_[a-zA-Z0-9]*.json$` (FileBroker.FILE_PATTERN),
 * so a manager named `usb-engine` signs its files `usbengine`; its folder keeps the full name.
 */
export const senderName = (managerName: string): string => managerName.replace(/[^a-zA-Z0-9]/g, '');

export function channelPaths(root: string, managerName: string): ChannelPaths {
  const folder = path.join(root, '.peripherals', managerName);
  const sender = senderName(managerName);
  return {
    folder,
    buffer: path.join(folder, 'buffer'),
    lock: path.join(folder, `${managerName}.lock`),
    temp: path.join(folder, `.${sender}.snapshot-${process.pid}.tmp`),
    sender,
  };
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `<MMDDYYYYhhmmss>_<sender>.json` in local time, as the agent parses it (`%m%d%Y%H%M%S`). */
export function snapshotFileName(at: Date, sender: string): string {
  const stamp =
    pad(at.getMonth() + 1) +
    pad(at.getDate()) +
    pad(at.getFullYear(), 4) +
    pad(at.getHours()) +
    pad(at.getMinutes()) +
    pad(at.getSeconds());
  return `${stamp}_${sender}.json`;
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * A name that neither repeats `previousName` nor replaces a file still in the buffer: names have
 * a one-second resolution, so within the same second this waits for the next one.
 */
async function unusedName(channel: ChannelPaths, previousName: string | undefined): Promise<string> {
  for (;;) {
    const now = new Date();
    const name = snapshotFileName(now, channel.sender);
    if (name !== previousName && !(await exists(path.join(channel.buffer, name)))) return name;
    await sleep(1001 - now.getMilliseconds());
  }
}

/**
 * Removes this manager's snapshots other than `keep`. Each holds a whole set, so only the newest
 * matters, and the agent, given several in one pass, applies the *oldest*
 * (`sorted(messages, key=time)[0]` in agent/workers/peripheral_manager.py). Called under the lock,
 * which the agent holds while it lists and reads the buffer.
 */
async function removeOlderSnapshots(channel: ChannelPaths, keep: string): Promise<void> {
  const ours = new RegExp(`^\\d{14}_${channel.sender}\\.json$`);
  for (const name of await readdir(channel.buffer)) {
    if (name !== keep && ours.test(name)) await unlink(path.join(channel.buffer, name)).catch(() => {});
  }
}

/** What writing one snapshot needs besides the channel. */
export interface SnapshotWriteOptions extends FileLockOptions {
  /** The name of the last snapshot written, so that it is never reused. */
  previousName: string | undefined;
}

/**
 * Writes `snapshot` durably into the channel's buffer and returns its file name. The folders are
 * created when missing; the file appears whole, by a rename made while holding the channel lock.
 */
export async function writeSnapshot(
  channel: ChannelPaths,
  snapshot: Record<string, unknown>,
  options: SnapshotWriteOptions,
): Promise<string> {
  await mkdir(channel.buffer, { recursive: true });
  await writeAndSync(channel.temp, JSON.stringify(snapshot));
  try {
    const name = await unusedName(channel, options.previousName);
    await withFileLock(channel.lock, options, async () => {
      await renameAndSync(channel.temp, path.join(channel.buffer, name), channel.buffer);
      await removeOlderSnapshots(channel, name);
    });
    return name;
  } catch (error) {
    await unlink(channel.temp).catch(() => {});
    throw error;
  }
}
