import type { ProfileIssue } from '../core/errors.js';
import { replacementText, type Replacement } from '../profiles/profile-layers.js';

/** The output formats of `engine validate`. */
export const FORMATS = ['text', 'json', 'github'] as const;
export type Format = (typeof FORMATS)[number];

/** What a validation run found, for any of the formats. */
export interface ValidationReport {
  filesChecked: number;
  issues: ProfileIssue[];
  /** File texts by path, for quoting the offending line. */
  texts: ReadonlyMap<string, string>;
  /** Profile files a later folder replaces or masks: said, not a problem. */
  replaced?: readonly Replacement[];
}

function counts(issues: readonly ProfileIssue[]) {
  const errors = issues.filter((issue) => issue.severity === 'error').length;
  return { errors, warnings: issues.length - errors };
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** `file:line:col severity code message`, then the source line and a caret under the column. */
function formatText(report: ValidationReport): string {
  const lines: string[] = [];
  for (const issue of report.issues) {
    lines.push(`${issue.file}:${issue.line}:${issue.col} ${issue.severity} ${issue.code} ${issue.message}`);
    const sourceLine = report.texts.get(issue.file)?.split(/\r?\n/)[issue.line - 1];
    if (sourceLine !== undefined && sourceLine.trim() !== '') {
      const gutter = String(issue.line).padStart(5);
      lines.push(
        `${gutter} | ${sourceLine}`,
        `${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, issue.col - 1))}^`,
      );
    }
  }
  for (const replaced of report.replaced ?? []) lines.push(replacementText(replaced));
  const { errors, warnings } = counts(report.issues);
  lines.push(
    `${plural(report.filesChecked, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
  );
  return lines.join('\n');
}

function formatJson(report: ValidationReport): string {
  return JSON.stringify(
    {
      filesChecked: report.filesChecked,
      ...counts(report.issues),
      issues: report.issues,
      ...(report.replaced?.length ? { replaced: report.replaced } : {}),
    },
    null,
    2,
  );
}

// GitHub's workflow-command escaping: data escapes %, CR, LF; properties also : and ,.
const escapeData = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string) => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One GitHub Actions annotation (`::error file=...::message`) on a file position. */
export function githubAnnotation(
  level: 'error' | 'warning',
  at: { file: string; line: number; col: number },
  title: string,
  message: string,
): string {
  return `::${level} file=${escapeProperty(at.file)},line=${at.line},col=${at.col},title=${escapeProperty(title)}::${escapeData(message)}`;
}

function formatGithub(report: ValidationReport): string {
  const lines = report.issues.map((issue) =>
    githubAnnotation(issue.severity === 'error' ? 'error' : 'warning', issue, issue.code, issue.message),
  );
  for (const replaced of report.replaced ?? [])
    lines.push(
      `::notice file=${escapeProperty(replaced.file)},title=${replaced.masked ? 'masked' : 'replaced'}::${escapeData(replacementText(replaced))}`,
    );
  const { errors, warnings } = counts(report.issues);
  lines.push(
    `${plural(report.filesChecked, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
  );
  return lines.join('\n');
}

/** Renders a validation report in the chosen format. */
export function formatReport(report: ValidationReport, format: Format): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'github':
      return formatGithub(report);
    case 'text':
      return formatText(report);
  }
}
