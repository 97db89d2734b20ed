// The symlinks a link backend made, kept in the engine's state folder: a link is only ever
// replaced or removed when it is recorded here, so a file or link someone else put at the same
// path is never touched, and links lost with a tmpfs (/run after a reboot) can be made again.
import path from 'node:path';
import { DurableMap } from '../../core/durable-map.js';
import { hasShape } from '../../core/json-shape.js';
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
const isLinkRecord = (value: unknown): value is LinkRecord =>
  hasShape(value, { identifier: 'string', target: 'string' });

/** Link path → record, persisted; saves are serialized so that the last one written is the latest. */
export class LinkRecords {
  private readonly links: DurableMap<LinkRecord>;

  constructor(file: string, log: Logger) {
    this.links = new DurableMap({
      file,
      what: 'link records',
      layout: { field: 'links', version: FORMAT_VERSION },
      isEntry: isLinkRecord,
      whenDamaged: 'refuse',
      log,
    });
  }

  get file(): string {
    return this.links.file;
  }

  static forBackend(stateDir: string, backendName: string, log: Logger): LinkRecords {
    return new LinkRecords(path.join(stateDir, `link-${backendName}.json`), log);
  }

  /**
   * Reads the records once they can be read; a missing file is none. A file that cannot be read
   * keeps failing, so that nothing is written over it and no link is taken for someone else's.
   */
  load(): Promise<void> {
    return this.links.load();
  }

  get(linkPath: string): LinkRecord | undefined {
    return this.links.get(linkPath);
  }

  /** The path of the link made for `identifier`, if any. */
  pathOf(identifier: string): string | undefined {
    for (const [linkPath, record] of this.links.all()) if (record.identifier === identifier) return linkPath;
    return undefined;
  }

  entries(): [string, LinkRecord][] {
    return this.links.all();
  }

  set(linkPath: string, record: LinkRecord): Promise<void> {
    return this.links.set(linkPath, record);
  }

  delete(linkPath: string): Promise<void> {
    return this.links.delete(linkPath);
  }

  /** Stops saving again on its own and waits for the write under way. */
  close(): Promise<void> {
    return this.links.close();
  }
}
