import type { BackendNames } from '../backends/index.js';
import type { ProfileIssue } from '../core/errors.js';
import { checkTestList } from '../profile-tests/check-tests.js';
import type { JsonSchema } from '../core/json-schema.js';
import { lintProfile } from './lint-profile.js';
import { typeKeyedProfileSchema } from './profile-schema.js';
import type { Profile } from './profile.js';
import { schemaIssues } from '../core/schema-issues.js';
import { usbIdNumberIssues } from './usb-id-numbers.js';
import { fastYaml } from '../core/fast-yaml.js';
import { isPlainObject } from '../core/plain-object.js';
import { LazyYamlSource } from '../core/lazy-yaml-source.js';
import { documentData, issueAt, parseYamlSource, positionOf, type YamlSource } from '../core/yaml-source.js';
import { nameFromFile } from './profile-names.js';

/**
 * What a profile is checked against: the backend names it may notify, and the schema: the
 * type-keyed one (`validationContext`), or one built for these names.
 */
export interface ValidationContext {
  backends: BackendNames;
  schema: JsonSchema;
}

/**
 * The data the schema sees: each notify entry naming a known backend carries its type instead,
 * so that its options are checked against that type's. Positions are unchanged (same paths).
 */
function underTypeNames(data: object, backends: BackendNames): object {
  const notify = (data as { notify?: unknown }).notify;
  if (!Array.isArray(notify)) return data;
  return {
    ...data,
    notify: notify.map((entry: unknown) => {
      const name = (entry as { backend?: unknown } | null)?.backend;
      const definition = typeof name === 'string' ? backends.get(name) : undefined;
      return definition ? { ...(entry as object), backend: definition.type } : entry;
    }),
  };
}

/** A checked profile file: the profile when it has no error, and every issue found. */
export interface ValidatedFile {
  file: string;
  text: string;
  profile?: Profile;
  /**
   * The name of the profile this file masks (`mask: true`, or an empty file in a later folder:
   * see profile-layers.ts), when it has no error; a mask has no profile.
   */
  mask?: string;
  /** The parsed file, for positioned reports; the daemon's store drops it once checked. */
  source?: YamlSource;
  /** Where the `name` is written, for cross-file reports (duplicate names). */
  nameAt?: { line: number; col: number };
  issues: ProfileIssue[];
}

/**
 * Checks one profile file's text: YAML, schema, USB ids, JSON-logic, patterns and backend
 * names. Never throws; every problem comes back positioned. A file the fast parser reads
 * (fast-yaml.ts) is checked on its data; only when a check finds something is the file parsed
 * again with `yaml` and checked the slow way, so that every issue is reported and positioned
 * exactly as if the fast parser did not exist.
 */
export function validateProfileText(file: string, text: string, context: ValidationContext): ValidatedFile {
  const fast = fastYaml(text);
  if (!fast) return validateParsed(file, text, context, parseYamlSource(file, text));
  const source = new LazyYamlSource(file, text);
  const issues = dataIssues(source, fast.data, context);
  if (issues.length > 0) return validateParsed(file, text, context, source.parsed());
  const nameAt = fast.nameAt ?? positionOf(source, ['name'], 'value');
  return { file, text, source, nameAt, issues: [], ...profileOrMask(file, fast.data) };
}

/** What a valid file holds: a profile, or a mask (`mask: true`) naming the profile it removes. */
function profileOrMask(file: string, data: object): { profile: Profile } | { mask: string } {
  const { mask, name } = data as { mask?: unknown; name?: unknown };
  if (mask !== true) return { profile: data as unknown as Profile };
  return { mask: typeof name === 'string' ? name : nameFromFile(file) };
}

/** The checks of a profile file `yaml` has parsed, positions and all. */
function validateParsed(
  file: string,
  text: string,
  context: ValidationContext,
  parsed: { source?: YamlSource; issues: ProfileIssue[] },
): ValidatedFile {
  if (!parsed.source) return { file, text, issues: parsed.issues };
  const source = parsed.source;
  const issues = [...parsed.issues];
  const read = documentData(source);
  if ('issue' in read) {
    issues.push(read.issue);
    return { file, text, source, issues };
  }
  issues.push(...dataIssues(source, read.data, context));
  if (!isPlainObject(read.data)) return { file, text, source, issues };
  const unique = dedupe(issues);
  const valid = !unique.some((issue) => issue.severity === 'error');
  return {
    file,
    text,
    source,
    nameAt: positionOf(source, ['name'], 'value'),
    issues: unique,
    ...(valid ? profileOrMask(file, read.data) : {}),
  };
}

/** The problems in a profile's data: its shape, schema, USB ids, tests, logic, patterns and backend names. */
function dataIssues(source: YamlSource, data: unknown, context: ValidationContext): ProfileIssue[] {
  if (!isPlainObject(data)) {
    return [
      issueAt(source, [], 'value', 'error', 'wrong-type', 'a profile is a mapping with name, detect, map and notify'),
    ];
  }
  const usbIds = usbIdNumberIssues(source, data);
  const tests = checkTestList(source, (data as { tests?: unknown }).tests, ['tests']);
  const checked = context.schema === typeKeyedProfileSchema() ? underTypeNames(data, context.backends) : data;
  return dedupe([
    ...usbIds.issues,
    ...tests.issues,
    ...schemaIssues(source, checked, context.schema, [...usbIds.covered, ...tests.covered]),
    // A mask has nothing to lint; the schema says what else it may hold.
    ...((data as { mask?: unknown }).mask === true ? [] : lintProfile(source, data, context.backends)),
  ]);
}

function dedupe(issues: ProfileIssue[]): ProfileIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.line}:${issue.col}:${issue.code}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
