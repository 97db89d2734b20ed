import { parseArgs } from 'node:util';
import { testFileSchema } from '../profile-tests/test-schema.js';
import { profileSchema } from '../profiles/profile-schema.js';

/** Runs `engine schema`: prints the profile JSON Schema, or with `--tests` that of test files. */
export function schemaCommand(args: string[], out: (text: string) => void): number {
  const { values } = parseArgs({ args, options: { tests: { type: 'boolean', default: false } } });
  out(JSON.stringify(values.tests ? testFileSchema() : profileSchema(), null, 2));
  return 0;
}
