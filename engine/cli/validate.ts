import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { backendNamesOf, defaultConfig, loadConfigOrDefault } from '../config/load-config.js';
import { compareIssues, hasFailures, UsageError } from '../core/errors.js';
import { loadTestFiles } from '../profile-tests/load-tests.js';
import { loadProfileLayers } from '../profiles/load-profiles.js';
import { chosenFormat, profileFolders, profilePaths } from './command-args.js';
import { FORMATS, formatReport } from './format-issues.js';

export const VALIDATE_USAGE = `engine validate [PATH... | --profiles DIR...] [--format text|json|github] [--strict] [--config FILE]

Checks profiles (files, or folders searched for *.yaml and *.yml; default: the config file's
profiles.folders, else ./profiles) and the test files among them (*.test.yaml, *.test.yml, see
engine test), and prints every problem as file:line:col severity code message.
  --profiles DIR layered folders, earliest first, as the daemon reads them: says which profiles
                 a later folder replaces or masks (PATHs are one folder together)
  --format F     text (default), json, or github (GitHub Actions annotations)
  --strict       warnings fail too
  --config FILE  check notify names and options against this engine config
Exit: 0 valid, 1 a problem found or no profile at all, 2 usage error.`;

/** Runs `engine validate`; returns the exit code. */
export async function validateCommand(args: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      profiles: { type: 'string', multiple: true },
      format: { type: 'string', default: 'text' },
      strict: { type: 'boolean', default: false },
      config: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    out(VALIDATE_USAGE);
    return 0;
  }
  const format = chosenFormat(values.format, FORMATS);
  if (values.profiles && positionals.length > 0)
    throw new UsageError('give profiles either as PATH... or as --profiles DIR..., not both');
  if (values.config !== undefined && !existsSync(values.config))
    throw new UsageError(`no such config file: ${values.config}`);

  const loaded = await loadConfigOrDefault(values.config, process.env);
  const configured = loaded.config?.profiles.folders;
  const layers =
    positionals.length > 0 || !(values.profiles ?? configured)
      ? [profilePaths(positionals)]
      : profileFolders(values.profiles, configured).map((folder) => [folder]);
  const paths = layers.flat();
  // A broken config still lets the profiles be checked, against the built-in backend names.
  const backends = backendNamesOf(loaded.config ?? defaultConfig(process.env));
  const set = await loadProfileLayers(layers, backends);
  const tests = await loadTestFiles(paths);
  const issues = [...loaded.issues, ...set.issues, ...tests.issues].sort(compareIssues);
  const texts = new Map([
    ...loaded.texts,
    ...[...set.files, ...tests.files].map((file) => [file.file, file.text] as const),
  ]);
  out(
    formatReport(
      { filesChecked: set.files.length + tests.files.length, issues, texts, replaced: set.replaced },
      format,
    ),
  );
  // A CI job pointed at the wrong folder must not stay green.
  if (set.files.length === 0) {
    process.stderr.write(`engine: no profile found in ${paths.join(', ')} (profiles are *.yaml or *.yml files)\n`);
    return 1;
  }
  return hasFailures(issues, values.strict) ? 1 : 0;
}
