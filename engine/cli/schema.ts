import { parseArgs } from 'node:util';
import { configSchema } from '../config/config-schema.js';
import { UsageError } from '../core/errors.js';
import { testFileSchema } from '../profile-tests/test-schema.js';
import { withEditorHints } from '../profiles/editor-hints.js';
import { profileSchema } from '../profiles/profile-schema.js';

export const SCHEMA_USAGE = `engine schema [--tests | --config]

Prints the profile JSON Schema (schemas/profile.schema.json); with --tests, that of *.test.yaml
files (schemas/profile-tests.schema.json); with --config, that of the engine config file
(schemas/config.schema.json).`;

/** Runs `engine schema`: prints the profile JSON Schema, or that of test files or the config. */
export function schemaCommand(args: string[], out: (text: string) => void): number {
  const { values } = parseArgs({
    args,
    options: {
      tests: { type: 'boolean', default: false },
      config: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    out(SCHEMA_USAGE);
    return 0;
  }
  if (values.tests && values.config) throw new UsageError('--tests and --config cannot be combined');
  const schema = values.tests
    ? withEditorHints(testFileSchema())
    : values.config
      ? withEditorHints(configSchema())
      : profileSchema();
  out(JSON.stringify(schema, null, 2));
  return 0;
}
