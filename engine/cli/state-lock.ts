import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from '../core/process-alive.js';
import { StartupRefusal } from './startup-refusal.js';

const LOCK_FILE = 'engine.lock';

/**
 * Takes the state folder for this process: two engines writing one state would each undo the
 * other's registrations. The lock is a file holding the holder's pid, created exclusively; one
 * left by a process that is gone (killed, power cut) is taken over. Returns the release function.
 */
export function lockStateFolder(stateDir: string): () => void {
  const file = path.join(stateDir, LOCK_FILE);
  try {
    mkdirSync(stateDir, { recursive: true });
  } catch (error) {
    throw new StartupRefusal(`cannot use the state folder ${stateDir}: ${(error as Error).message}`);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new StartupRefusal(`cannot lock the state folder ${stateDir}: ${(error as Error).message}`);
    }
    let holder = Number.NaN;
    try {
      holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    } catch {
      // Removed meanwhile by its holder: try again.
    }
    if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder)) {
      throw new StartupRefusal(
        `the state folder ${path.resolve(stateDir)} is in use by another engine (pid ${holder}); give this one its own --state`,
      );
    }
    rmSync(file, { force: true });
  }
  throw new StartupRefusal(`cannot lock the state folder ${stateDir}: its lock keeps changing`);
}
