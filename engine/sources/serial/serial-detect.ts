import type { Facts } from '../../core/facts.js';
import type { HexBytes } from '../../core/hex-bytes.js';
import { globHolds } from '../shared/glob-holds.js';

/** A `detect.serial.probe`: how to talk to the port, and the reply that confirms the device. */
export interface SerialProbe {
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits?: 1 | 1.5 | 2;
  write?: string | HexBytes;
  expect: string | HexBytes;
  timeoutMs?: number;
  /** Whether DTR stays asserted while the probe has the port open (false: lowered right after open). */
  dtr?: boolean;
  /** Whether RTS stays asserted while the probe has the port open (false: lowered right after open). */
  rts?: boolean;
}

/** A profile's `detect.serial` block, after the profile schema has accepted it. */
export interface SerialDetect {
  path?: string;
  interfaceNumber?: number;
  interfaceName?: string;
  description?: string;
  probe?: SerialProbe;
}

/** Why a `detect.serial` block (its probe aside) does not hold for a device, or undefined when it does. */
export function serialMismatch(detect: SerialDetect, facts: Facts): string | undefined {
  const serial = facts.serial;
  if (!serial) return 'not a serial port';
  if (detect.path !== undefined && !globHolds(detect.path, serial.path, 'path'))
    return `serial.path is ${serial.path}, not ${detect.path}`;
  if (detect.interfaceNumber !== undefined && serial.interfaceNumber !== detect.interfaceNumber)
    return `serial.interfaceNumber is ${serial.interfaceNumber ?? null}, not ${detect.interfaceNumber}`;
  for (const key of ['interfaceName', 'description'] as const) {
    const pattern = detect[key];
    if (pattern !== undefined && !globHolds(pattern, serial[key], 'text'))
      return `serial.${key} is ${JSON.stringify(serial[key] ?? null)}, not ${JSON.stringify(pattern)}`;
  }
  return undefined;
}
