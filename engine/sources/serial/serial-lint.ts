import type { SourceLintContext } from '../source-definition.js';
import { isPlainObject } from '../../core/plain-object.js';
import { lintProbeBytes } from '../shared/probe-bytes-lint.js';

/** Whether the block tells apart devices that share USB ids: by a probe, or the interface's string or the port's description. */
export function serialDistinguishes(serial: Record<string, unknown>): boolean {
  return isPlainObject(serial.probe) || serial.interfaceName !== undefined || serial.description !== undefined;
}

/** The probe's checks: `expect` compiles as a linear-time regex, hex strings are whole bytes, escapes are sent as meant. */
export function lintSerialBlock(serial: Record<string, unknown>, { yaml, at, report }: SourceLintContext): void {
  const probe = isPlainObject(serial.probe) ? serial.probe : {};
  lintProbeBytes(probe, [...at, 'probe'], yaml, report);
}
