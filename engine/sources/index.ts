import { fileSource } from './file.js';
import { serialSource } from './serial.js';
import type { SourceDefinition } from './source-definition.js';
import { usbSource } from './usb.js';

/** Every device source, in the order their blocks appear under `detect`. */
export const SOURCES: readonly SourceDefinition[] = [usbSource, serialSource, fileSource];
