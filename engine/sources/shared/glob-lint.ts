import type { NodePath } from '../../core/yaml-source.js';
import { compileGlob, type GlobKind } from '../../match/glob.js';
import type { ReportIssue } from '../source-definition.js';

/**
 * Compiles a detect block's glob as the engine will match it, and reports at `path` a glob that
 * cannot run (an error: it would never match) or one that likely does not mean what it says.
 */
export function lintGlob(path: NodePath, pattern: unknown, kind: GlobKind, report: ReportIssue): void {
  if (typeof pattern !== 'string') return;
  const compiled = compileGlob(pattern, kind);
  if (!compiled.ok) report(path, 'value', 'error', 'invalid-glob', `glob \`${pattern}\`: ${compiled.reason}`);
  else
    for (const warning of compiled.warnings)
      report(path, 'value', 'warning', 'glob-unclosed-bracket', `glob \`${pattern}\`: ${warning}`);
}
