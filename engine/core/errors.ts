/**
 * Every problem the engine can report about a profile or a configuration file, as a closed set
 * of codes. Tests and tools match on these codes, never on message wording.
 */
export const ISSUE_CODES = {
  'read-error': 'the file or folder could not be read',
  'file-too-large': 'a profile file over the size cap (1 MiB), not read',
  'empty-file': 'the file holds no YAML document',
  'yaml-syntax': 'the YAML could not be parsed',
  'duplicate-key': 'a mapping has the same key twice',
  'multiple-documents': 'a file holds more than one YAML document',
  'unknown-key': 'a key the schema does not allow',
  'missing-key': 'a required key is absent',
  'wrong-type': 'a value of the wrong type',
  'invalid-value': 'a value outside what the schema allows (enum, pattern, range, size)',
  'usb-id-number': 'a USB id written as a YAML number instead of a quoted hex string',
  'logic-unknown-operator': 'a JSON-logic operator that the engine does not provide',
  'logic-unsafe-path': 'a JSON-logic var path through __proto__, constructor or prototype',
  'logic-arity': 'a JSON-logic operator given the wrong number of arguments',
  'logic-unknown-fact': 'a JSON-logic var path that names no known fact',
  'logic-argument': 'a JSON-logic operator given an argument it cannot evaluate',
  'unsafe-map-key': 'a map key __proto__, constructor or prototype',
  'invalid-regex': 'a regular expression that does not compile',
  'invalid-glob': 'a glob pattern that does not compile',
  'glob-unclosed-bracket': 'a text glob with a `[` that no `]` closes, read as a literal `[` as fnmatch does',
  'invalid-hex': 'a hex byte string that is not an even number of hex digits',
  'probe-literal-escape': 'a probe string with a backslash escape that YAML left as two characters',
  'duplicate-name': 'two profiles with the same name',
  'unknown-backend': 'notify names a backend that no configuration provides',
  'broad-matcher': 'a generic USB-serial bridge id with nothing to narrow it',
  'catch-all': 'a USB profile that matches every device, without an explicit priority below zero',
  'ignored-field': "a mapped field that a notified backend's consumer drops",
  'env-undefined': 'a ${VAR} reference to an environment variable that is not set',
} as const;

export type IssueCode = keyof typeof ISSUE_CODES;

export type Severity = 'error' | 'warning';

/** One positioned problem in one file. `line` and `col` are 1-based. */
export interface ProfileIssue {
  severity: Severity;
  code: IssueCode;
  file: string;
  line: number;
  col: number;
  message: string;
}

/** Whether a list of issues holds an error (or, with `strict`, a warning too). */
export function hasFailures(issues: readonly ProfileIssue[], strict = false): boolean {
  return issues.some((issue) => issue.severity === 'error' || (strict && issue.severity === 'warning'));
}

/** Orders issues by file, then position, so that output is stable. */
export function compareIssues(a: ProfileIssue, b: ProfileIssue): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.code.localeCompare(b.code);
}

/** A command line that cannot be acted on: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
