import type { ProfileIssue } from '../core/errors.js';
import { isPlainObject } from '../core/plain-object.js';
import { issueAt, type NodePath, type YamlSource } from '../core/yaml-source.js';
import { checkExpression } from '../logic/check-logic.js';
import { isCatchAll } from '../match/detect-checks.js';
import { SOURCES } from '../sources/index.js';
import { lintGlob } from '../sources/shared/glob-lint.js';
import type { ReportIssue } from '../sources/source-definition.js';
import type { Detect } from './profile.js';

/** What the checks of a `detect` block read of what holds it (a profile, or a config ignore rule). */
export interface DetectLintContext {
  /** The holder's `priority`, when it is a number. */
  priority: number | undefined;
  /** Whether the holder says it is meant to match broadly: the broad-matcher warnings stay quiet. */
  broad: boolean;
}

/**
 * The checks of one `detect` block that a schema cannot express: at least one source block, its
 * `when`, its globs and each source's own lint. `at` is where the block is in its file
 * (`['detect']` in a profile, `['ignore', 0, 'detect']` in the engine config).
 */
export function lintDetect(
  source: YamlSource,
  written: unknown,
  at: NodePath,
  context: DetectLintContext,
): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const report: ReportIssue = (path, part, severity, code, message) =>
    issues.push(issueAt(source, path, part, severity, code, message));
  if (!isPlainObject(written)) return issues;
  const detect = written;
  if (!SOURCES.some((definition) => detect[definition.kind] !== undefined)) {
    report(
      at,
      'key',
      'error',
      'missing-key',
      `\`detect\` needs at least one of ${SOURCES.map((definition) => definition.kind).join(', ')}`,
    );
  }
  if (detect.when !== undefined) {
    for (const problem of checkExpression(detect.when, [...at, 'when']))
      report(problem.path, problem.part, problem.severity, problem.code, problem.message);
  }
  lintSourceBlocks(source, detect, at, context, report);
  return issues;
}

/**
 * Each source block's globs compiled, then the source's own lint (a probe's regex and bytes,
 * USB ids too broad to be safe, a catch-all meant as one).
 */
function lintSourceBlocks(
  yaml: YamlSource,
  detect: Record<string, unknown>,
  at: NodePath,
  { priority, broad }: DetectLintContext,
  report: ReportIssue,
): void {
  const blocks = SOURCES.flatMap((definition) => {
    const block = detect[definition.kind];
    return isPlainObject(block) ? [{ definition, block }] : [];
  });
  for (const { definition, block } of blocks) {
    for (const [key, kind] of Object.entries(definition.globKeys))
      lintGlob([...at, definition.kind, key], block[key], kind, report);
  }
  const catchAll = isCatchAll(detect as Detect);
  for (const { definition, block } of blocks) {
    definition.lint?.(block, {
      yaml,
      at: [...at, definition.kind],
      priority,
      broad,
      when: detect.when,
      catchAll,
      distinguished: blocks.some(
        (other) => other.definition !== definition && other.definition.distinguishes?.(other.block),
      ),
      report,
    });
  }
}
