import type { HexBytes } from '../core/hex-bytes.js';
import type { ProfileTest } from '../profile-tests/profile-test.js';

/** A JSON-logic expression or constant, as written in a profile. */
export type LogicValue = unknown;

export interface UsbDetect {
  vendorId?: string | string[];
  productId?: string | string[];
  manufacturer?: string;
  product?: string;
  serialNumber?: string;
  interfaceClass?: string | string[];
}

export interface SerialProbe {
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits?: 1 | 1.5 | 2;
  write?: string | HexBytes;
  expect: string | HexBytes;
  timeoutMs?: number;
}

export interface SerialDetect {
  path?: string;
  interfaceNumber?: number;
  interfaceName?: string;
  description?: string;
  probe?: SerialProbe;
}

export interface FileDetect {
  path: string;
}

export interface Detect {
  usb?: UsbDetect;
  serial?: SerialDetect;
  file?: FileDetect;
  when?: LogicValue;
}

/** One `notify` entry: a backend name and that backend type's options. */
export interface NotifyEntry {
  backend: string;
  [option: string]: unknown;
}

/** A profile as written, after validation. */
export interface Profile {
  name: string;
  description?: string;
  priority?: number;
  detect: Detect;
  map: Record<string, LogicValue>;
  notify: NotifyEntry[];
  /** Examples run by `engine test`; the engine itself ignores them. */
  tests?: ProfileTest[];
}

/** A valid profile and where it came from. */
export interface LoadedProfile {
  profile: Profile;
  file: string;
}
