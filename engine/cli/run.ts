import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, Daemon } from '../daemon/daemon.js';
import type { CheckHelper } from '../profiles/check-in-parallel.js';
import { UsageError } from '../core/errors.js';
import { createLogger, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../core/log.js';
import { loadConfigOrDefault } from '../config/load-config.js';
import { profileFolders } from './command-args.js';
import { formatReport } from './format-issues.js';
import { lockStateFolder } from './state-lock.js';
import { listenRefusal, StartupRefusal } from './startup-refusal.js';

export const RUN_USAGE = `engine [--profiles DIR]... [--config FILE] [--state DIR] [--host H] [--port N] [--log-level L] [--log-format F]

Runs the daemon: watches devices, matches them against the profiles in DIR (default: the config
file's profiles.folders, else ./profiles) and keeps the backends in sync. --profiles may be given
several times, earliest first (a vendor catalogue, then a site's folder): a later folder's
profile replaces an earlier one of the same name, and a file with mask: true (or an empty file)
removes it. Status server on H:N (default 127.0.0.1:6769; --port 0 picks a
free port and logs it). State (what was registered) is kept in --state (default ./state), which
one engine at a time may use. Log level L: error, warn, info (default) or debug; log format F:
json (default, one JSON object per line on standard error) or pretty (for a terminal).`;

/**
 * The config file's profiles folders; none when it has none. A config with errors throws them:
 * without it, which folders to read is unknown, and falling back to ./profiles would report a
 * missing folder instead of the config's own mistakes.
 */
async function configuredFolders(configFile: string | undefined): Promise<readonly string[] | undefined> {
  if (configFile === undefined) return undefined;
  const loaded = await loadConfigOrDefault(configFile, process.env);
  if (!loaded.config) throw new ConfigError(loaded.issues, loaded.texts);
  return loaded.config.profiles.folders;
}

/** A config's errors, with their source lines, on standard error: exit 1. */
function reportConfigError(error: ConfigError): number {
  process.stderr.write(`${formatReport({ filesChecked: 1, issues: error.issues, texts: error.texts }, 'text')}\n`);
  return 1;
}

/** The folder the daemon watches must be a readable folder: say so in one line otherwise. */
function checkProfilesFolder(folder: string): void {
  if (!existsSync(folder)) throw new UsageError(`no such profiles folder: ${folder}`);
  if (!statSync(folder).isDirectory())
    throw new StartupRefusal(`--profiles ${folder} is not a folder (give the folder that holds the profiles)`);
  try {
    accessSync(folder, constants.R_OK | constants.X_OK);
  } catch {
    throw new StartupRefusal(`cannot read the profiles folder ${folder}: permission denied`);
  }
}

/**
 * SIGTERM and SIGINT, watched from before anything starts: one that arrives during start-up
 * stops the engine once start-up has settled, instead of killing it half-way. A second signal
 * means: now.
 */
function watchStopSignals(onSecond: () => void): Promise<NodeJS.Signals> {
  let received = false;
  return new Promise((resolve) => {
    const handle = (signal: NodeJS.Signals) => {
      if (received) return onSecond();
      received = true;
      resolve(signal);
    };
    process.on('SIGTERM', handle).on('SIGINT', handle);
  });
}

/**
 * SIGHUP, watched from before anything starts as the stop signals are (Node's default for it is
 * to exit): it reads the profiles folder again, as daemons conventionally do, and never stops
 * the engine. One that arrives during start-up is acted on once start-up is done, since the
 * files may have changed after they were read; one that arrives while stopping is ignored.
 */
class ReloadSignal {
  private reload: ((reason: string) => Promise<void>) | undefined;
  private receivedEarly = false;

  constructor() {
    process.on('SIGHUP', () => {
      if (this.reload) void this.reload('SIGHUP');
      else this.receivedEarly = true;
    });
  }

  /** From now on a SIGHUP calls `reload`; one received before calls it now. */
  attach(reload: (reason: string) => Promise<void>): void {
    this.reload = reload;
    if (this.receivedEarly) void reload('SIGHUP during start-up');
    this.receivedEarly = false;
  }
}

/** Runs the daemon until SIGTERM or SIGINT; returns the exit code. */
export async function runCommand(args: string[], checkHelpers: readonly CheckHelper[] = []): Promise<number> {
  const stopSignal = watchStopSignals(() => process.exit(1));
  const reloadSignal = new ReloadSignal();
  const { values } = parseArgs({
    args,
    options: {
      profiles: { type: 'string', multiple: true },
      config: { type: 'string' },
      state: { type: 'string', default: './state' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '6769' },
      'log-level': { type: 'string', default: 'info' },
      'log-format': { type: 'string', default: 'json' },
    },
  });
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535)
    throw new UsageError(`--port must be a number from 0 to 65535, not ${values.port}`);
  const level = values['log-level'] as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const format = values['log-format'] as LogFormat;
  if (!LOG_FORMATS.includes(format)) throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(', ')}`);
  if (values.config !== undefined && !existsSync(values.config))
    throw new UsageError(`no such config file: ${values.config}`);
  let configured: readonly string[] | undefined;
  try {
    configured = values.profiles ? undefined : await configuredFolders(values.config);
  } catch (error) {
    if (error instanceof ConfigError) return reportConfigError(error);
    throw error;
  }
  const folders = profileFolders(values.profiles, configured);
  for (const folder of folders) checkProfilesFolder(folder);
  const unlock = lockStateFolder(values.state);

  const log = createLogger(level, undefined, {}, format);
  const daemon = new Daemon({
    profileFolders: folders,
    configFile: values.config,
    stateDir: values.state,
    host: values.host,
    port,
    env: process.env,
    log,
    checkHelpers,
  });
  try {
    type Outcome =
      { kind: 'started' } | { kind: 'failed'; error: unknown } | { kind: 'signal'; signal: NodeJS.Signals };
    const started = daemon.start().then(
      (): Outcome => ({ kind: 'started' }),
      (error: unknown): Outcome => ({ kind: 'failed', error }),
    );
    const first = await Promise.race([started, stopSignal.then((signal): Outcome => ({ kind: 'signal', signal }))]);
    if (first.kind === 'signal') {
      log.info('shutting down during start-up', { signal: first.signal });
      const settled = await started;
      if (settled.kind === 'failed')
        log.debug('start-up ended with an error while shutting down', { error: (settled.error as Error)?.message });
    } else {
      if (first.kind === 'failed') throw first.error;
      reloadSignal.attach((reason) => daemon.reloadProfiles(reason));
      log.info('shutting down', { signal: await stopSignal });
    }
    return await stopDaemon(daemon, log, 0);
  } catch (error) {
    await stopDaemon(daemon, log, 1);
    if (error instanceof ConfigError) return reportConfigError(error);
    throw listenRefusal(error, values.host, port) ?? error;
  } finally {
    unlock();
  }
}

/** Stops the daemon; a failure while stopping is a log line and exit 1, not a stack trace. */
async function stopDaemon(daemon: Daemon, log: ReturnType<typeof createLogger>, code: number): Promise<number> {
  try {
    await daemon.stop();
    return code;
  } catch (error) {
    log.error('stopping failed', { error: (error as Error).message });
    return 1;
  }
}
