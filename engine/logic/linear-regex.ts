import { RE2JS } from 're2js';
import { boundedCache } from '../core/bounded-cache.js';

/** A compiled pattern, or why it cannot run in linear time. */
export type LinearRegexResult = { ok: true; regex: RE2JS } | { ok: false; reason: string };

/**
 * Compiles a regular expression from a profile on re2js (RE2 semantics), whose matching time
 * grows linearly with the text: a device string can never stall the event loop, as
 * `^(a+)+$` against 60 characters does with a backtracking engine. RE2 has no backreferences
 * and no lookaround; the reason says so when the pattern uses them.
 */
export function compileLinearRegex(pattern: string): LinearRegexResult {
  try {
    return { ok: true, regex: RE2JS.compile(pattern) };
  } catch (error) {
    const detail = (error as Error).message;
    const construct = /\\[1-9]|\\k</.test(pattern)
      ? 'a backreference'
      : /\(\?<?[=!]/.test(pattern)
        ? 'lookaround'
        : undefined;
    return {
      ok: false,
      reason: construct
        ? `\`${pattern}\` uses ${construct}, which the linear-time engine (RE2 syntax) cannot run: ${detail}`
        : `\`${pattern}\` is not an RE2 regular expression: ${detail}`,
    };
  }
}

/** compileLinearRegex, remembered for patterns built at evaluation time (a bounded cache). */
export const cachedLinearRegex = boundedCache(256, compileLinearRegex);
