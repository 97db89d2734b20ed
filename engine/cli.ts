#!/usr/bin/env node
import { LIST_USAGE, listCommand } from './cli/list.js';
import { NEW_USAGE, newCommand } from './cli/new.js';
import { RUN_USAGE, runCommand } from './cli/run.js';
import { SCHEMA_USAGE, schemaCommand } from './cli/schema.js';
import { TEST_USAGE, testCommand } from './cli/test.js';
import { VALIDATE_USAGE, validateCommand } from './cli/validate.js';
import { StartupRefusal } from './cli/startup-refusal.js';
import { UsageError } from './core/errors.js';
import { engineVersion } from './core/version.js';

/** Every command's usage: its first line is the synopsis, the rest what it does. */
const COMMAND_USAGES = [RUN_USAGE, VALIDATE_USAGE, TEST_USAGE, LIST_USAGE, SCHEMA_USAGE, NEW_USAGE];

const synopsis = (usage: string) => usage.split('\n')[0]!;

const USAGE = `engine: a declarative device-profile engine

Usage:
${[...COMMAND_USAGES.map(synopsis), 'engine --version | --help'].map((line) => `  ${line}`).join('\n')}

${COMMAND_USAGES.join('\n\n')}`;

/** Runs the command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return await validateCommand(rest, out);
      case 'test':
        return await testCommand(rest, out);
      case 'schema':
        return schemaCommand(rest, out);
      case 'list':
        return await listCommand(rest, out);
      case 'new':
        return await newCommand(rest, out);
      case '--version':
      case '-v':
        out(engineVersion());
        return 0;
      case '--help':
      case '-h':
      case 'help':
        out(USAGE);
        return 0;
      default:
        // No command, or options only: run the daemon.
        if (command === undefined || command.startsWith('--')) return await runCommand(argv);
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (error) {
    // parseArgs reports unknown or malformed options with these codes.
    const code = (error as { code?: string }).code;
    if (error instanceof UsageError || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
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
