import { parseArgs } from 'node:util';
import { hasFailures, UsageError } from '../core/errors.js';
import { runLayeredTestSuite, runTestSuite } from '../profile-tests/test-suite.js';
import { chosenFormat, profileFolders, profilePaths } from './command-args.js';
import { commandConfig } from './command-config.js';
import { formatTestReport, TEST_FORMATS } from './format-test-report.js';

export const TEST_USAGE = `engine test [PATH... | --profiles DIR...] [--config FILE] [--format text|json|github]

Runs the examples written in profiles (a \`tests:\` list) and in *.test.yaml files beside them:
facts in, the expected winning profile and payload (or no match) out. Every test runs against
all the profiles under PATH (files or folders; default ./profiles). A test file named alone
also loads the profiles of its folder; a profile named alone brings the test file beside it.
  --profiles DIR layered folders, earliest first, as the daemon reads them (default without
                 PATH: the config file's profiles.folders): the tests of the profiles in use
                 run, not those beside a profile a later folder replaces or masks
  --config FILE  the engine config: backend names and params, as the daemon would use them
  --format F     text (default), json, or github (GitHub Actions annotations)
Exit: 0 all passed, 1 a test failed, a file is invalid or there is no test, 2 usage error.`;

/** Runs `engine test`; returns the exit code. */
export async function testCommand(args: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      profiles: { type: 'string', multiple: true },
      format: { type: 'string', default: 'text' },
      config: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    out(TEST_USAGE);
    return 0;
  }
  const format = chosenFormat(values.format, TEST_FORMATS);
  if (values.profiles && positionals.length > 0)
    throw new UsageError('give profiles either as PATH... or as --profiles DIR..., not both');
  const config = await commandConfig(values.config, out, format === 'github' ? 'github' : 'text');
  if (!config) return 1;
  const layered = positionals.length === 0 && (values.profiles ?? config.profiles.folders) !== undefined;
  const paths = layered ? profileFolders(values.profiles, config.profiles.folders) : profilePaths(positionals);
  const report = await (layered ? runLayeredTestSuite(paths, config) : runTestSuite(paths, config));
  out(formatTestReport(report, format));
  if (report.results.length === 0 && !hasFailures(report.issues)) {
    process.stderr.write(`engine test: no tests found in ${paths.join(', ')}\n`);
    return 1;
  }
  const failed =
    report.results.length === 0 || hasFailures(report.issues) || report.results.some((result) => !result.passed);
  return failed ? 1 : 0;
}
