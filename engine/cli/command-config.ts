import { existsSync } from 'node:fs';
import { loadConfigOrDefault, type EngineConfig } from '../config/load-config.js';
import { UsageError } from '../core/errors.js';
import { enumerateSerialPorts } from '../sources/serial-sysfs.js';
import { enumerateUsbDevices } from '../sources/usb-sysfs.js';
import { formatReport, type Format } from './format-issues.js';
import type { SeenDevice } from './new-profile.js';

/**
 * The config a one-shot command runs with: `--config FILE`, or the built-in backends without one.
 * A missing file is a usage error; a config with issues prints them and gives undefined (exit 1).
 */
export async function commandConfig(configFile: string | undefined, out: (text: string) => void, format: Format = 'text'): Promise<EngineConfig | undefined> {
  if (configFile !== undefined && !existsSync(configFile)) throw new UsageError(`no such config file: ${configFile}`);
  const loaded = await loadConfigOrDefault(configFile, process.env);
  if (!loaded.config) out(formatReport({ filesChecked: 1, issues: loaded.issues, texts: loaded.texts }, format));
  return loaded.config;
}

/** The USB devices and serial ports present now, as the daemon's sources would report them. */
export function presentHardware(): SeenDevice[] {
  const devices: SeenDevice[] = [];
  for (const [port, usb] of enumerateUsbDevices()) devices.push({ key: `usb:${port}`, source: 'usb', facts: { usb } });
  for (const [key, { serial, usb }] of enumerateSerialPorts()) devices.push({ key, source: 'serial', facts: { serial, ...(usb ? { usb } : {}) } });
  return devices;
}
