import { redactSecrets } from './secrets.js';

const redactString = (_key: string, value: unknown): unknown => (typeof value === 'string' ? redactSecrets(value) : value);

/** Log levels, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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

/** A logger writing lines at or above `level` to `write` (standard error by default). */
export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stderr.write(line), base: LogFields = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (lineLevel: LogLevel, message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(lineLevel) > threshold) return;
    // Fields may carry text from outside (a server's answer): the configured secrets never pass.
    // Redacted value by value, so that the line stays JSON whatever a secret looks like.
    write(`${JSON.stringify({ time: new Date().toISOString(), level: lineLevel, msg: message, ...base, ...fields }, redactString)}\n`);
  };
  return {
    error: (message, fields) => emit('error', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    info: (message, fields) => emit('info', message, fields),
    debug: (message, fields) => emit('debug', message, fields),
    child: (fields) => createLogger(level, write, { ...base, ...fields }),
  };
}
