import type { ProfileIssue } from '../core/errors.js';
import { issueAt, sourceTextAt, type NodePath, type YamlSource } from '../core/yaml-source.js';

/** The keys holding hex ids, with their width in digits. */
const ID_KEYS = { vendorId: 4, productId: 4, interfaceClass: 2 } as const;

/** The quoted form the author most likely meant for an id typed as a YAML number. */
function intendedHex(typed: string, width: number): string | undefined {
  const digits = `{1,${width}}`;
  const hex =
    new RegExp(`^0x([0-9a-f]${digits})$`, 'i').exec(typed)?.[1] ?? new RegExp(`^\\d${digits}$`).exec(typed)?.[0];
  return hex?.padStart(width, '0').toLowerCase();
}

/**
 * Finds USB ids (and interface classes) that YAML read as numbers (`0403` is 403, `0x0403` is 1027), says what was typed
 * and the quoted form to write, and returns their paths so the schema check does not report
 * them a second time.
 */
export function usbIdNumberIssues(source: YamlSource, data: unknown): { issues: ProfileIssue[]; covered: NodePath[] } {
  const usb = (data as { detect?: { usb?: Record<string, unknown> } } | null)?.detect?.usb;
  return usbIdNumberIssuesAt(source, usb, ['detect', 'usb']);
}

/** The same check on a mapping of USB ids anywhere, e.g. a test's `facts.usb`. */
export function usbIdNumberIssuesAt(
  source: YamlSource,
  usb: unknown,
  at: NodePath,
): { issues: ProfileIssue[]; covered: NodePath[] } {
  const issues: ProfileIssue[] = [];
  const covered: NodePath[] = [];
  if (typeof usb !== 'object' || usb === null || Array.isArray(usb)) return { issues, covered };
  for (const [key, width] of Object.entries(ID_KEYS)) {
    const value = (usb as Record<string, unknown>)[key];
    const entries: [NodePath, unknown][] = Array.isArray(value)
      ? value.map((item, index) => [[...at, key, index], item])
      : [[[...at, key], value]];
    for (const [path, item] of entries) {
      if (typeof item !== 'number') continue;
      const typed = sourceTextAt(source, path) ?? String(item);
      const hex = intendedHex(typed, width);
      const instead = hex ? `write "${hex}" (quoted)` : `write the id as a quoted ${width}-digit hex string`;
      issues.push(
        issueAt(
          source,
          path,
          'value',
          'error',
          'usb-id-number',
          `${key} ${typed} is read by YAML as the number ${item}, not a hex id; ${instead}`,
        ),
      );
      covered.push(path);
    }
  }
  return { issues, covered };
}
