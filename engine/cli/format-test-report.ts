import type { TestResult } from '../profile-tests/run-test.js';
import type { TestSuiteReport } from '../profile-tests/test-suite.js';
import { formatReport, githubAnnotation } from './format-issues.js';

/** The output formats of `engine test`. */
export const TEST_FORMATS = ['text', 'json', 'github'] as const;
export type TestFormat = (typeof TEST_FORMATS)[number];

const where = (result: TestResult) => `${result.test.file}:${result.test.line}:${result.test.col}`;

/** The closing line: `N passed, N failed`, then what was read. */
function summary(report: TestSuiteReport): string {
  const failed = report.results.filter((result) => !result.passed).length;
  const files = `${report.filesChecked} file${report.filesChecked === 1 ? '' : 's'}`;
  const tests = `${report.results.length} test${report.results.length === 1 ? '' : 's'}`;
  return `${report.results.length - failed} passed, ${failed} failed (${tests} in ${files})`;
}

/** A failed test, explained: what was expected and what happened, the candidates, the payload. */
function explain(result: TestResult): string[] {
  const lines = result.failures.map((failure) => `    ${failure}`);
  lines.push(`    expected: ${result.expected}; got: ${result.winner ? `a match by ${result.winner}` : 'no match'}`);
  if (result.candidates.length > 0) lines.push('    candidates:');
  for (const candidate of result.candidates) {
    const mark = !candidate.matched ? '✗' : candidate.reason ? '-' : '✓';
    lines.push(`      ${mark} ${candidate.profile}${candidate.reason ? `: ${candidate.reason}` : ' (wins)'}`);
  }
  if (result.candidates.length === 0)
    lines.push('    candidates: none (no loaded profile has these USB ids, this source or this path)');
  if (result.payload) lines.push(`    payload: ${JSON.stringify(result.payload)}`);
  return lines;
}

function formatText(report: TestSuiteReport): string {
  const lines: string[] = [];
  if (report.issues.length > 0)
    lines.push(formatReport({ filesChecked: report.filesChecked, issues: report.issues, texts: report.texts }, 'text'));
  for (const result of report.results) {
    lines.push(`${result.passed ? 'PASS' : 'FAIL'} ${where(result)} ${result.test.test.name}`);
    if (!result.passed) lines.push(...explain(result));
  }
  if (report.untested.length > 0) lines.push(`profiles without tests: ${report.untested.join(', ')}`);
  lines.push(summary(report));
  return lines.join('\n');
}

function formatJson(report: TestSuiteReport): string {
  const failed = report.results.filter((result) => !result.passed).length;
  return JSON.stringify(
    {
      filesChecked: report.filesChecked,
      passed: report.results.length - failed,
      failed,
      issues: report.issues,
      untested: report.untested,
      tests: report.results.map(({ test, passed, expected, winner, failures, candidates, payload }) => ({
        file: test.file,
        line: test.line,
        col: test.col,
        name: test.test.name,
        passed,
        expected,
        winner: winner ?? null,
        failures,
        candidates,
        payload: payload ?? null,
      })),
    },
    null,
    2,
  );
}

function formatGithub(report: TestSuiteReport): string {
  const lines = report.issues.map((issue) =>
    githubAnnotation(issue.severity === 'error' ? 'error' : 'warning', issue, issue.code, issue.message),
  );
  for (const result of report.results) {
    if (!result.passed)
      lines.push(
        githubAnnotation(
          'error',
          result.test,
          'engine test',
          `${result.test.test.name}: ${result.failures.join('; ')}`,
        ),
      );
  }
  lines.push(summary(report));
  return lines.join('\n');
}

/** Renders what `engine test` found in the chosen format. */
export function formatTestReport(report: TestSuiteReport, format: TestFormat): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'github':
      return formatGithub(report);
    case 'text':
      return formatText(report);
  }
}
