import type { NodePath, YamlSource } from '../../core/yaml-source.js';
import { nodeAt } from '../../core/yaml-source.js';
import { cachedLinearRegex } from '../../logic/linear-regex.js';
import type { ReportIssue, SourceLintContext } from '../source-definition.js';
import { isPlainObject } from '../../core/plain-object.js';

/** Whether the block tells apart devices that share USB ids: by a probe, or the interface's string or the port's description. */
export function serialDistinguishes(serial: Record<string, unknown>): boolean {
  return isPlainObject(serial.probe) || serial.interfaceName !== undefined || serial.description !== undefined;
}

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

/** The probe's checks: `expect` compiles as a linear-time regex, hex strings are whole bytes, escapes are sent as meant. */
export function lintSerialBlock(serial: Record<string, unknown>, { yaml, at, report }: SourceLintContext): void {
  const probe = isPlainObject(serial.probe) ? serial.probe : {};
  const probePath = [...at, 'probe'];
  if (typeof probe.expect === 'string') {
    const compiled = cachedLinearRegex(probe.expect);
    if (!compiled.ok) report([...probePath, 'expect'], 'value', 'error', 'invalid-regex', compiled.reason);
  }
  if (isPlainObject(probe.expect) && typeof probe.expect.hex === 'string')
    checkHex(probe.expect.hex, [...probePath, 'expect', 'hex'], true, report);
  if (isPlainObject(probe.write) && typeof probe.write.hex === 'string')
    checkHex(probe.write.hex, [...probePath, 'write', 'hex'], false, report);
  if (typeof probe.write === 'string') checkLiteralEscapes(yaml, [...probePath, 'write'], probe.write, report);
}
