// The symlinks a link backend made, kept in the engine's state folder: a link is only ever
// replaced or removed when it is recorded here, so a file or link someone else put at the same
// path is never touched, and links lost with a tmpfs (/run after a reboot) can be made again.
import path from 'node:path';
import { hasShape } from '../../core/json-shape.js';
import { JsonStateFile } from '../../core/json-state-file.js';
import type { Logger } from '../../core/log.js';

const FORMAT_VERSION = 1;

/** One link this engine made (or is about to make): for which identifier, pointing where. */
export interface LinkRecord {
  identifier: string;
  target: string;
}

/**
 * Whether a saved value has the shape of a record; anything else is dropped alone, and the link
 * at its path is then someone else's: never replaced nor removed.
 */
const isLinkRecord = (value: unknown): value is LinkRecord => hasShape(value, { identifier: 'string', target: 'string' });

/** Link path → record, persisted; saves are serialized so that the last one written is the latest. */
export class LinkRecords {
  private readonly links = new Map<string, LinkRecord>();
  private readonly stateFile: JsonStateFile<LinkRecord>;
  private loaded: Promise<void> | undefined;

  constructor(
    readonly file: string,
    log: Logger,
  ) {
    this.stateFile = new JsonStateFile({
      file,
      what: 'link records',
      layout: { field: 'links', version: FORMAT_VERSION },
      isEntry: isLinkRecord,
      current: () => this.links,
      whenDamaged: 'refuse',
      log,
    });
  }

  static forBackend(stateDir: string, backendName: string, log: Logger): LinkRecords {
    return new LinkRecords(path.join(stateDir, `link-${backendName}.json`), log);
  }

  /**
   * Reads the records once they can be read; a missing file is none. A file that cannot be read
   * keeps failing, so that nothing is written over it and no link is taken for someone else's.
   */
  load(): Promise<void> {
    this.loaded ??= this.stateFile.load().then(
      ({ entries }) => {
        for (const [linkPath, record] of entries) this.links.set(linkPath, record);
      },
      (error: unknown) => {
        this.loaded = undefined;
        throw error;
      },
    );
    return this.loaded;
  }

  get(linkPath: string): LinkRecord | undefined {
    return this.links.get(linkPath);
  }

  /** The path of the link made for `identifier`, if any. */
  pathOf(identifier: string): string | undefined {
    for (const [linkPath, record] of this.links) if (record.identifier === identifier) return linkPath;
    return undefined;
  }

  entries(): [string, LinkRecord][] {
    return [...this.links];
  }

  set(linkPath: string, record: LinkRecord): Promise<void> {
    this.links.set(linkPath, record);
    return this.stateFile.save();
  }

  delete(linkPath: string): Promise<void> {
    this.links.delete(linkPath);
    return this.stateFile.save();
  }

  /** Stops saving again on its own and waits for the write under way. */
  async close(): Promise<void> {
    this.stateFile.close();
    await this.stateFile.flushed();
  }
}
