import type { ProfileIssue } from '../core/errors.js';
import { usbIdNumberIssuesAt } from '../profiles/usb-id-numbers.js';
import { issueAt, type NodePath, type YamlSource } from '../core/yaml-source.js';
import { SOURCES } from '../sources/index.js';
import { isPlainObject } from '../core/plain-object.js';

/**
 * The checks on a `tests` list that its schema cannot express: USB ids typed as YAML numbers in
 * the facts (reported once, with the quoted form to write) and an `expect` that contradicts
 * itself. Returns the paths already reported, for the schema check to leave out.
 */
export function checkTestList(
  source: YamlSource,
  tests: unknown,
  at: NodePath,
): { issues: ProfileIssue[]; covered: NodePath[] } {
  const issues: ProfileIssue[] = [];
  const covered: NodePath[] = [];
  if (!Array.isArray(tests)) return { issues, covered };
  for (const [index, test] of tests.entries()) {
    if (!isPlainObject(test)) continue;
    const facts = isPlainObject(test.facts) ? test.facts : {};
    const ids = usbIdNumberIssuesAt(source, facts.usb, [...at, index, 'facts', 'usb']);
    issues.push(...ids.issues);
    covered.push(...ids.covered);
    const kinds = SOURCES.map((source) => source.kind);
    if (isPlainObject(test.facts) && Object.keys(test.facts).length > 0 && !kinds.some((kind) => kind in facts)) {
      issues.push(
        issueAt(
          source,
          [...at, index, 'facts'],
          'key',
          'error',
          'missing-key',
          `\`facts\` needs at least one of ${kinds.join(', ')}: the device the test is about`,
        ),
      );
    }
    const expect = test.expect;
    if (typeof expect === 'string' && expect !== 'no-match') {
      issues.push(
        issueAt(
          source,
          [...at, index, 'expect'],
          'value',
          'error',
          'invalid-value',
          `\`expect\` is \`no-match\` or a mapping (profile, payload, match), not \`${expect}\``,
        ),
      );
      covered.push([...at, index, 'expect']);
    }
    if (isPlainObject(expect) && expect.match === false) {
      for (const key of ['profile', 'payload'].filter((name) => name in expect)) {
        issues.push(
          issueAt(
            source,
            [...at, index, 'expect', key],
            'key',
            'error',
            'invalid-value',
            `\`expect.${key}\` contradicts \`match: false\`: a test expects either no match or a match`,
          ),
        );
      }
    }
  }
  return { issues, covered };
}
