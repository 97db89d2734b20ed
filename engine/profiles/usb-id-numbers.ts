import type { ProfileIssue } from '../errors.js';
import { issueAt, sourceTextAt, type NodePath, type YamlSource } from './yaml-source.js';

const ID_KEYS = ['vendorId', 'productId'] as const;

/** The quoted form the author most likely meant for an id typed as a YAML number. */
function intendedHex(typed: string): string | undefined {
  const hex = /^0x([0-9a-f]{1,4})$/i.exec(typed)?.[1] ?? /^\d{1,4}$/.exec(typed)?.[0];
  return hex?.padStart(4, '0').toLowerCase();
}

/**
 * Finds USB ids that YAML read as numbers (`0403` is 403, `0x0403` is 1027), says what was typed
 * and the quoted form to write, and returns their paths so the schema check does not report
 * them a second time.
 */
export function usbIdNumberIssues(source: YamlSource, data: unknown): { issues: ProfileIssue[]; covered: NodePath[] } {
  const usb = (data as { detect?: { usb?: Record<string, unknown> } } | null)?.detect?.usb;
  const issues: ProfileIssue[] = [];
  const covered: NodePath[] = [];
  if (typeof usb !== 'object' || usb === null) return { issues, covered };
  for (const key of ID_KEYS) {
    const value = usb[key];
    const entries: [NodePath, unknown][] = Array.isArray(value)
      ? value.map((item, index) => [['detect', 'usb', key, index], item])
      : [[['detect', 'usb', key], value]];
    for (const [path, item] of entries) {
      if (typeof item !== 'number') continue;
      const typed = sourceTextAt(source, path) ?? String(item);
      const hex = intendedHex(typed);
      const instead = hex ? `write "${hex}" (quoted)` : 'write the id as a quoted 4-digit hex string';
      issues.push(
        issueAt(source, path, 'value', 'error', 'usb-id-number', `${key} ${typed} is read by YAML as the number ${item}, not a hex id; ${instead}`),
      );
      covered.push(path);
    }
  }
  return { issues, covered };
}
