#!/usr/bin/env node
import { StartupRefusal } from './cli/startup-refusal.js';
import { UsageError } from './core/errors.js';
import { engineVersion } from './core/version.js';

const synopsis = (usage: string) => usage.split('\n')[0]!;

/**
 * The whole usage. Each command's module is imported only when it runs (or here, for help): a
 * validate or test run never loads the daemon, its sources and its backends.
 */
async function usage(): Promise<string> {
  const commands = await Promise.all([
    import('./cli/run.js').then((module) => module.RUN_USAGE),
    import('./cli/validate.js').then((module) => module.VALIDATE_USAGE),
    import('./cli/test.js').then((module) => module.TEST_USAGE),
    import('./cli/list.js').then((module) => module.LIST_USAGE),
    import('./cli/schema.js').then((module) => module.SCHEMA_USAGE),
    import('./cli/new.js').then((module) => module.NEW_USAGE),
  ]);
  return `engine: a declarative device-profile engine

Usage:
${[...commands.map(synopsis), 'engine --version | --help'].map((line) => `  ${line}`).join('\n')}

${commands.join('\n\n')}`;
}

/** Runs the command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return await (await import('./cli/validate.js')).validateCommand(rest, out);
      case 'test':
        return await (await import('./cli/test.js')).testCommand(rest, out);
      case 'schema':
        return (await import('./cli/schema.js')).schemaCommand(rest, out);
      case 'list':
        return await (await import('./cli/list.js')).listCommand(rest, out);
      case 'new':
        return await (await import('./cli/new.js')).newCommand(rest, out);
      case '--version':
      case '-v':
        out(engineVersion());
        return 0;
      case '--help':
      case '-h':
      case 'help':
        out(await usage());
        return 0;
      default:
        // No command, or options only: run the daemon.
        if (command === undefined || command.startsWith('--')) {
          // Helper threads for checking a large profiles folder start first, so that they load
          // their modules while this thread loads the daemon's (check-in-parallel.ts).
          const { CheckHelper, helpersWanted } = await import('./profiles/check-in-parallel.js');
          const helpers = CheckHelper.start(helpersWanted());
          return await (await import('./cli/run.js')).runCommand(argv, helpers);
        }
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (error) {
    // parseArgs reports unknown or malformed options with these codes.
    const code = (error as { code?: string }).code;
    if (
      error instanceof UsageError ||
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ||
      code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
    ) {
      process.stderr.write(`engine: ${(error as Error).message}\nRun \`engine --help\` for usage.\n`);
      return 2;
    }
    if (error instanceof StartupRefusal) {
      process.stderr.write(`engine: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
