import { redactSecrets, secrets } from './secrets.js';

const redactString = (_key: string, value: unknown): unknown =>
  typeof value === 'string' ? redactSecrets(value) : value;

/** Log levels, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How lines are written: one JSON object per line, or readable text for a terminal. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Structured fields of a log line; never put a secret in one. */
export type LogFields = Record<string, unknown>;

/** A structured logger: one JSON object per line. */
export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/**
 * A warning repeated by the same component (same message and fields, counters aside) is written
 * once per window; the next one written says how many were left out. A backend that is down for
 * an hour is then 60 lines, not one per retry.
 */
export const WARNING_WINDOW_MS = 60_000;

/** Fields that count or time the repeats themselves: they differ on every retry of one failure. */
const REPEAT_COUNTERS = new Set(['failures', 'retryInMs', 'attempt', 'attempts', 'afterMs', 'delayMs']);

const repeatKey = (message: string, base: LogFields, fields: LogFields = {}) =>
  JSON.stringify([message, base, Object.entries(fields).filter(([name]) => !REPEAT_COUNTERS.has(name))]);

interface Repeats {
  /** When the last written line of each key was written, and how many were left out since. */
  readonly seen: Map<string, { at: number; suppressed: number }>;
}

function prettyLine(line: Record<string, unknown>): string {
  const { time, level, msg, ...fields } = line;
  const rest = Object.entries(fields)
    .map(
      ([key, value]) => `${key}=${typeof value === 'string' && !/[\s"=]/.test(value) ? value : JSON.stringify(value)}`,
    )
    .join(' ');
  return `${String(time).slice(11, 23)} ${String(level).toUpperCase().padEnd(5)} ${String(msg)}${rest ? `  ${rest}` : ''}\n`;
}

/** A logger writing lines at or above `level` to `write` (standard error by default). */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(line),
  base: LogFields = {},
  format: LogFormat = 'json',
  repeats: Repeats = { seen: new Map() },
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (lineLevel: LogLevel, message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(lineLevel) > threshold) return;
    let extra: LogFields = {};
    if (lineLevel === 'warn') {
      const key = repeatKey(message, base, fields);
      const now = Date.now();
      const last = repeats.seen.get(key);
      if (last && now - last.at < WARNING_WINDOW_MS) {
        last.suppressed++;
        return;
      }
      if (last?.suppressed) extra = { suppressedRepeats: last.suppressed };
      repeats.seen.set(key, { at: now, suppressed: 0 });
      // Keys of components long gone are not kept for ever.
      if (repeats.seen.size > 10_000) repeats.seen.clear();
    }
    const line = { time: new Date().toISOString(), level: lineLevel, msg: message, ...base, ...fields, ...extra };
    // Fields may carry text from outside (a server's answer): the configured secrets never pass.
    // Redacted value by value, so that the line stays JSON whatever a secret looks like; with no
    // secret configured there is nothing to look for in each value.
    const json = secrets.size > 0 ? JSON.stringify(line, redactString) : JSON.stringify(line);
    write(format === 'pretty' ? prettyLine(JSON.parse(json) as typeof line) : `${json}\n`);
  };
  return {
    error: (message, fields) => emit('error', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    info: (message, fields) => emit('info', message, fields),
    debug: (message, fields) => emit('debug', message, fields),
    child: (fields) => createLogger(level, write, { ...base, ...fields }, format, repeats),
  };
}
