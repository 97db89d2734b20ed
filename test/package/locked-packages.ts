import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../paths.js';

/** One package of package-lock.json (lockfileVersion 3). */
export interface LockedPackage {
  version: string;
  /** Only a development dependency needs it: `npm ci --omit=dev` leaves it out. */
  dev?: boolean;
}

/** The installed packages package-lock.json names, keyed by their folder (`node_modules/usb`). */
export function lockedPackages(): Map<string, LockedPackage> {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockedPackage>;
  };
  return new Map(Object.entries(lock.packages).filter(([key]) => key.startsWith('node_modules/')));
}
