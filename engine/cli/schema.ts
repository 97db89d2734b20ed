import { parseArgs } from 'node:util';
import { testFileSchema } from '../profile-tests/test-schema.js';
import { profileSchema } from '../profiles/profile-schema.js';

export const SCHEMA_USAGE = `engine schema [--tests]

Prints the profile JSON Schema (schemas/profile.schema.json); with --tests, that of *.test.yaml
files (schemas/profile-tests.schema.json).`;

/** Runs `engine schema`: prints the profile JSON Schema, or with `--tests` that of test files. */
export function schemaCommand(args: string[], out: (text: string) => void): number {
  const { values } = parseArgs({ args, options: { tests: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    out(SCHEMA_USAGE);
    return 0;
  }
  out(JSON.stringify(values.tests ? testFileSchema() : profileSchema(), null, 2));
  return 0;
}
