import type { ProfileIssue } from '../core/errors.js';
import type { JsonSchema } from '../core/json-schema.js';
import { isPlainObject } from '../core/plain-object.js';
import { issueAt, type YamlSource } from '../core/yaml-source.js';
import { lintDetect } from '../profiles/lint-detect.js';
import { ignoreDetectSchema } from '../profiles/profile-schema.js';
import type { Detect, LoadedProfile } from '../profiles/profile.js';

/** One rule of the engine config's `ignore:` list, as written. */
export interface IgnoreRule {
  name: string;
  reason: string;
  detect: Detect;
}

/** The config's `ignore:` list: devices the engine leaves alone, whatever profile matches them. */
export function ignoreRulesSchema(): JsonSchema {
  return {
    type: 'array',
    description:
      'Devices the engine leaves alone: never registered, their ports never probed, whatever profile matches them (catch-alls and priorities included). The first rule whose detect holds names the device in `engine list` and /devices.',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'reason', 'detect'],
      properties: {
        name: {
          type: 'string',
          pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
          maxLength: 64,
          description: 'The rule, as `engine list` and /devices name it; kebab-case, unique in the list.',
          examples: ['ups-on-ttys0'],
        },
        reason: {
          type: 'string',
          pattern: '\\S',
          description: 'Why the device is left alone, shown with it.',
          examples: ['the UPS on the RS-232 line belongs to nut'],
        },
        detect: ignoreDetectSchema(),
      },
    },
  };
}

/**
 * What the schema cannot check of the rules: each detect as a profile's is linted (a rule is
 * meant broad: its reason says why), and names are unique.
 */
export function ignoreRuleIssues(source: YamlSource, rules: unknown): ProfileIssue[] {
  if (!Array.isArray(rules)) return [];
  const issues: ProfileIssue[] = [];
  const seen = new Set<string>();
  for (const [index, rule] of rules.entries()) {
    if (!isPlainObject(rule)) continue;
    issues.push(...lintDetect(source, rule.detect, ['ignore', index, 'detect'], { priority: undefined, broad: true }));
    if (typeof rule.name !== 'string') continue;
    if (seen.has(rule.name))
      issues.push(
        issueAt(
          source,
          ['ignore', index, 'name'],
          'value',
          'error',
          'duplicate-name',
          `a second ignore rule named ${rule.name}`,
        ),
      );
    seen.add(rule.name);
  }
  return issues;
}

/** The rules as the matcher takes them: ignore entries from the config file `file`. */
export function ignoreRuleEntries(file: string, rules: readonly IgnoreRule[]): LoadedProfile[] {
  return rules.map(({ name, reason, detect }) => ({
    profile: { name, description: reason, ignore: true, detect },
    file,
    configRule: true,
  }));
}
