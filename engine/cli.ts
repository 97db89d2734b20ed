#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { schemaCommand } from './cli/schema.js';
import { VALIDATE_USAGE, validateCommand } from './cli/validate.js';
import { UsageError } from './errors.js';

const USAGE = `engine: a declarative device-profile engine

Usage:
  engine validate [PATH...] [--format text|json|github] [--strict] [--config FILE]
  engine schema                 print the profile JSON Schema
  engine --version | --help

${VALIDATE_USAGE}`;

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** Runs the command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return await validateCommand(rest, out);
      case 'schema':
        return schemaCommand(out);
      case '--version':
      case '-v':
        out(version());
        return 0;
      case '--help':
      case '-h':
      case 'help':
        out(USAGE);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command or option: ${command}`);
    }
  } catch (error) {
    // parseArgs reports unknown or malformed options with these codes.
    const code = (error as { code?: string }).code;
    if (error instanceof UsageError || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      process.stderr.write(`engine: ${(error as Error).message}\nRun \`engine --help\` for usage.\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
