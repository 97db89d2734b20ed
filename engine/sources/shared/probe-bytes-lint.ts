import type { NodePath, YamlSource } from '../../core/yaml-source.js';
import { nodeAt } from '../../core/yaml-source.js';
import { isPlainObject } from '../../core/plain-object.js';
import { cachedLinearRegex } from '../../logic/linear-regex.js';
import type { ReportIssue } from '../source-definition.js';

function checkHex(hex: string, path: NodePath, wildcards: boolean, report: ReportIssue): void {
  const pairs = hex.trim().split(/\s+/).join('');
  if (pairs === '') return; // the schema reports an empty string
  const valid = wildcards ? /^([0-9a-fA-F]{2}|\?\?)+$/ : /^([0-9a-fA-F]{2})+$/;
  if (!valid.test(pairs)) {
    const allowed = wildcards ? 'hex pairs or `??`' : 'hex pairs';
    report(path, 'value', 'error', 'invalid-hex', `\`${hex}\` is not a whole number of bytes written as ${allowed}`);
  }
}

/** `write: AT\r` unquoted or single-quoted sends a backslash and an `r`, not a carriage return. */
function checkLiteralEscapes(yaml: YamlSource, path: NodePath, text: string, report: ReportIssue): void {
  const escape = /\\[rnt0x]/.exec(text)?.[0];
  if (!escape) return;
  // The style is read only now: looking a node up parses the file with positions (fast-yaml.ts).
  const { node } = nodeAt(yaml, path);
  const style = (node as { type?: string } | undefined)?.type;
  if (style !== 'QUOTE_DOUBLE') {
    report(
      path,
      'value',
      'warning',
      'probe-literal-escape',
      `\`${escape}\` here is sent as two characters; write the string in double quotes for YAML to turn it into one byte`,
    );
  }
}

/**
 * The checks of a probe's `write` and `expect` (the serial probe's and the TCP probe's), for the
 * block at `path`: `expect` compiles as a linear-time regex, hex strings are whole bytes, escapes
 * are sent as meant.
 */
export function lintProbeBytes(
  probe: Record<string, unknown>,
  path: NodePath,
  yaml: YamlSource,
  report: ReportIssue,
): void {
  if (typeof probe.expect === 'string') {
    const compiled = cachedLinearRegex(probe.expect);
    if (!compiled.ok) report([...path, 'expect'], 'value', 'error', 'invalid-regex', compiled.reason);
  }
  if (isPlainObject(probe.expect) && typeof probe.expect.hex === 'string')
    checkHex(probe.expect.hex, [...path, 'expect', 'hex'], true, report);
  if (isPlainObject(probe.write) && typeof probe.write.hex === 'string')
    checkHex(probe.write.hex, [...path, 'write', 'hex'], false, report);
  if (typeof probe.write === 'string') checkLiteralEscapes(yaml, [...path, 'write'], probe.write, report);
}
