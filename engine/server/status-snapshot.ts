import { gzipSync } from 'node:zlib';

/**
 * How long the status server reuses an answer it built. Within the window every client gets
 * the same answer, so hundreds of clients polling during a burst of devices cost one build (and
 * one serialisation) per window instead of one per request; what they see is at most this old.
 */
export const SNAPSHOT_WINDOW_MS = 100;

/**
 * zlib's fastest level: on `/devices` of 200 devices it takes half the time of the default level
 * and gives 5 KiB where the default gives 4.
 */
const GZIP_LEVEL = 1;

/**
 * One built answer, from its JSON text: the bytes sent, the value (for the HTML page) and the
 * gzip form, each made once, when first asked for, for every client of the window.
 */
export class Answer<T> {
  readonly json: Buffer;
  private parsed: { value: T } | undefined;
  private compressed: Buffer | undefined;

  constructor(text: string) {
    this.json = Buffer.from(text);
  }

  /** The JSON text of a value, as every snapshot answer is written. */
  static text(value: unknown): string {
    return `${JSON.stringify(value, null, 2)}\n`;
  }

  get value(): T {
    this.parsed ??= { value: JSON.parse(this.json.toString()) as T };
    return this.parsed.value;
  }

  /**
   * The JSON compressed with gzip. `/devices` of 200 file devices is about 160 KiB of JSON and
   * 5 KiB compressed: what a dashboard polling over a cellular link pays for, and what hundreds
   * of clients cost the server to send. Compressed on the server's thread (under half a
   * millisecond for those 160 KiB, once per window): on libuv's thread pool it would wait
   * behind the file operations of a burst, and every client of the window with it.
   */
  get gzip(): Buffer {
    this.compressed ??= gzipSync(this.json, { level: GZIP_LEVEL });
    return this.compressed;
  }
}

/**
 * A value built when it is read and reused for `windowMs`: nothing runs while nobody reads, and
 * however many read within a window, it is built once (readers that come while it is being
 * built wait for that build). A read after the window builds afresh, so a change shows at the
 * latest one window after it happened. A build that fails is not kept: the next read builds
 * again.
 */
export class Snapshot<T> {
  private built: { value: Promise<T>; at: number } | undefined;
  private count = 0;

  constructor(
    private readonly build: () => Promise<T>,
    private readonly windowMs = SNAPSHOT_WINDOW_MS,
    /** A monotonic clock in milliseconds; a test passes one it moves itself. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  read(): Promise<T> {
    const now = this.now();
    if (this.built === undefined || now - this.built.at >= this.windowMs) {
      const value = this.build();
      const built = { value, at: now };
      this.built = built;
      this.count++;
      value.catch(() => {
        if (this.built === built) this.built = undefined;
      });
    }
    return this.built.value;
  }

  /** How many times the value was built. */
  get builds(): number {
    return this.count;
  }
}
