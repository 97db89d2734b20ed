// The symlinks a link backend made, kept in the engine's state folder: a link is only ever
// replaced or removed when it is recorded here, so a file or link someone else put at the same
// path is never touched, and links lost with a tmpfs (/run after a reboot) can be made again.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { readStateObject, writeFileAtomic } from '../../core/durable-file.js';

const FORMAT_VERSION = 1;

/** One link this engine made (or is about to make): for which identifier, pointing where. */
export interface LinkRecord {
  identifier: string;
  target: string;
}

/** Link path → record, persisted; saves are serialized so that the last one written is the latest. */
export class LinkRecords {
  private readonly links = new Map<string, LinkRecord>();
  private saving: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  static forBackend(stateDir: string, backendName: string): LinkRecords {
    return new LinkRecords(path.join(stateDir, `link-${backendName}.json`));
  }

  private loaded: Promise<void> | undefined;

  /**
   * Reads the records once; a missing file is none. A file that cannot be read keeps failing,
   * so that nothing is written over it and no link is taken for someone else's.
   */
  load(): Promise<void> {
    this.loaded ??= this.read();
    return this.loaded;
  }

  private async read(): Promise<void> {
    const saved = await readStateObject<LinkRecord>(this.file, 'links');
    for (const [linkPath, record] of Object.entries(saved ?? {})) this.links.set(linkPath, record);
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
    return this.save();
  }

  delete(linkPath: string): Promise<void> {
    this.links.delete(linkPath);
    return this.save();
  }

  private save(): Promise<void> {
    const write = async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, `${JSON.stringify({ version: FORMAT_VERSION, links: Object.fromEntries(this.links) }, null, 2)}\n`);
    };
    this.saving = this.saving.then(write, write);
    return this.saving;
  }
}
