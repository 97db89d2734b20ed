import type { ProfileIssue } from './errors.js';
import { fastYaml } from './fast-yaml.js';
import { LazyYamlSource } from './lazy-yaml-source.js';
import { documentData, parseYamlSource, type YamlSource } from './yaml-source.js';

/**
 * A YAML file's data, with the source that positions issues in it: on the fast path
 * (fast-yaml.ts) when it can be trusted with the file, `yaml` being loaded and run only if an
 * issue is to be positioned; otherwise parsed by `yaml` at once. Without data when the file
 * cannot be read as data, and then its issues say why.
 */
export function readYamlData(
  file: string,
  text: string,
): { source: YamlSource; data: unknown; issues: ProfileIssue[] } | { issues: ProfileIssue[] } {
  const fast = fastYaml(text);
  if (fast) return { source: new LazyYamlSource(file, text), data: fast.data, issues: [] };
  const parsed = parseYamlSource(file, text);
  if (!parsed.source) return { issues: parsed.issues };
  const read = documentData(parsed.source);
  if ('issue' in read) return { issues: [...parsed.issues, read.issue] };
  return { source: parsed.source, data: read.data, issues: parsed.issues };
}
