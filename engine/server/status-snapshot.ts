/**
 * How long the status server reuses an answer it built. Within the window every client gets
 * the same answer, so hundreds of clients polling during a burst of devices cost one build (and
 * one serialisation) per window instead of one per request; what they see is at most this old.
 */
export const SNAPSHOT_WINDOW_MS = 100;

/**
 * One built answer: the value (for the HTML page) and its JSON, serialised and encoded once,
 * when first asked for, for every client of the window.
 */
export class Answer<T> {
  private encoded: Buffer | undefined;

  constructor(readonly value: T) {}

  get json(): Buffer {
    this.encoded ??= Buffer.from(`${JSON.stringify(this.value, null, 2)}\n`);
    return this.encoded;
  }
}

/**
 * A value built when it is read and reused for `windowMs`: nothing runs while nobody reads, and
 * however many read within a window, it is built once. A read after the window builds afresh,
 * so a change shows at the latest one window after it happened.
 */
export class Snapshot<T> {
  private built: { answer: Answer<T>; at: number } | undefined;
  private count = 0;

  constructor(
    private readonly build: () => T,
    private readonly windowMs = SNAPSHOT_WINDOW_MS,
    /** A monotonic clock in milliseconds; a test passes one it moves itself. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  read(): Answer<T> {
    const now = this.now();
    if (this.built === undefined || now - this.built.at >= this.windowMs) {
      this.built = { answer: new Answer(this.build()), at: now };
      this.count++;
    }
    return this.built.answer;
  }

  /** How many times the value was built. */
  get builds(): number {
    return this.count;
  }
}
