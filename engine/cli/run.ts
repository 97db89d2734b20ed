import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, Daemon } from '../daemon.js';
import { UsageError } from '../errors.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../log.js';
import { formatReport } from './format-issues.js';

export const RUN_USAGE = `engine [--profiles DIR] [--config FILE] [--state DIR] [--host H] [--port N] [--log-level L]

Runs the daemon: watches devices, matches them against the profiles in DIR (default ./profiles)
and keeps the backends in sync. Status server on H:N (default 127.0.0.1:6769; --port 0 picks a
free port and logs it). State (what was registered) is kept in --state (default ./state).
Log level L: error, warn, info (default) or debug; logs are JSON lines on standard error.`;

/** Runs the daemon until SIGTERM or SIGINT; returns the exit code. */
export async function runCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      profiles: { type: 'string', default: './profiles' },
      config: { type: 'string' },
      state: { type: 'string', default: './state' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '6769' },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not ${values.port}`);
  const level = values['log-level'] as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  if (!existsSync(values.profiles)) throw new UsageError(`no such profiles folder: ${values.profiles}`);
  if (values.config !== undefined && !existsSync(values.config)) throw new UsageError(`no such config file: ${values.config}`);

  const log = createLogger(level);
  const daemon = new Daemon({ profilesDir: values.profiles, configFile: values.config, stateDir: values.state, host: values.host, port, env: process.env, log });
  try {
    await daemon.start();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${formatReport({ filesChecked: 1, issues: error.issues, texts: error.texts }, 'text')}\n`);
    await daemon.stop();
    return 1;
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info('shutting down', { signal });
  // A second signal while shutting down means: now.
  const forced = () => process.exit(1);
  process.once('SIGTERM', forced).once('SIGINT', forced);
  await daemon.stop();
  return 0;
}
