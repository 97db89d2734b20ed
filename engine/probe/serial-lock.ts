import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from '../core/process-alive.js';

/** Where UUCP-style lock files live on Linux (minicom, ModemManager's friends, pppd, cu). */
export const LOCK_FOLDERS: readonly string[] = ['/var/lock', '/run/lock'];

/** The process holding a lock file, decoded from its two formats (ASCII or a binary int). */
function lockHolder(content: Buffer): number | undefined {
  const text = content.toString('latin1').trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (content.length === 4) return content.readInt32LE(0);
  return undefined;
}

/**
 * Who holds `LCK..<tty>` for this port in any of the lock folders, if a live process does. A
 * lock file whose process is gone is stale and ignored, as the programs that write them do.
 */
export async function lockFileHolder(
  devicePath: string,
  folders: readonly string[] = LOCK_FOLDERS,
): Promise<{ file: string; pid: number } | undefined> {
  const name = `LCK..${path.basename(devicePath)}`;
  for (const folder of folders) {
    const file = path.join(folder, name);
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch {
      continue;
    }
    const pid = lockHolder(content);
    if (pid !== undefined && pid > 0 && pid !== process.pid && processAlive(pid)) return { file, pid };
  }
  return undefined;
}
