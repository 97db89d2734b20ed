// What the daemon learnt from each profile file at its last start, kept in the state folder, so
// that a restart does not check again a text it has checked before: at 10,000 profiles, parsing
// and checking is most of a start's time, and a gateway restarts with the same profiles far more
// often than it gets new ones. A file's check is reused only when its text has the same digest,
// for the same build of the engine (its code and locked dependencies), the same profiles folders
// and the same backend names (what a check depends on); anything else is checked as at a first start. The file is a cache: one
// that cannot be read or written costs a slower start, never a profile.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { BackendNames } from '../backends/index.js';
import { writeFileAtomic } from '../core/durable-file.js';
import type { Logger } from '../core/log.js';
import { buildId } from '../core/prebuilt-validators.js';
import type { CheckedText } from './file-check.js';

/** The cache's file in the state folder. */
export const CHECK_CACHE_FILE = 'profile-checks.bin';

/** What a check found in a file, and the digest of the text it checked. */
export interface KnownCheck {
  digest: string;
  checked: CheckedText;
}

/** The file's first line: what the checks depend on, and a digest of the rest (a torn write is no cache). */
interface Header {
  key: string;
  sha256: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The checks of the last start (`load`), and the place for this start's (`save`). Without a
 * build id (the engine compiled by tsc alone, as the unit tests do) nothing is kept.
 */
export class CheckCache {
  readonly file: string;
  private readonly key: string | undefined;

  constructor(
    stateDir: string,
    folders: readonly string[],
    backends: BackendNames,
    private readonly log: Logger,
    build: string | null = buildId() ?? null,
  ) {
    this.file = path.join(stateDir, CHECK_CACHE_FILE);
    this.key =
      build === null
        ? undefined
        : JSON.stringify({
            build,
            // v8's serialisation format: an older Node may not read a newer one's.
            node: process.versions.v8,
            folders,
            backends: [...backends].map(([name, definition]) => [name, definition.type]).sort(),
          });
  }

  /** The checks kept by the last start, by file; empty when there are none for this key. */
  load(): Map<string, KnownCheck> {
    if (this.key === undefined) return new Map();
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.file);
    } catch {
      return new Map();
    }
    try {
      const newline = bytes.indexOf(10);
      const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as Header;
      if (header.key !== this.key) return new Map();
      const body = bytes.subarray(newline + 1);
      if (header.sha256 !== sha256(body)) throw new Error('its content does not match its digest');
      return new Map(deserialize(body) as [string, KnownCheck][]);
    } catch (error) {
      this.log.warn('the profile checks of the last start cannot be read; every profile is checked', {
        file: this.file,
        error: (error as Error).message,
      });
      return new Map();
    }
  }

  /** Keeps these checks for the next start, replacing the last; a failure is said, never thrown. */
  async save(checks: Iterable<[string, KnownCheck]>): Promise<void> {
    if (this.key === undefined) return;
    try {
      const body = serialize([...checks]);
      const header: Header = { key: this.key, sha256: sha256(body) };
      await writeFileAtomic(this.file, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]));
    } catch (error) {
      this.log.warn('the profile checks could not be kept for the next start; it will check every profile', {
        file: this.file,
        error: (error as Error).message,
      });
    }
  }
}
