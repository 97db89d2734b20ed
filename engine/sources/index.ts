import { fileSource } from './file/file.js';
import { networkSource } from './network/network.js';
import { serialSource } from './serial/serial.js';
import type { DetectBlockOf, SourceDefinition } from './source-definition.js';
import { usbSource } from './usb/usb.js';

/** The sources, with their own types. Adding one: its folder, its test, one entry here. */
const DEFINITIONS = [usbSource, serialSource, networkSource, fileSource] as const;

/** Every device source, in the order their blocks appear under `detect`. */
export const SOURCES: readonly SourceDefinition[] = DEFINITIONS;

/** The source blocks of a profile's `detect`, each typed by its source: `{ usb?: UsbDetect, ... }`. */
export type DetectBlocks = {
  [Definition in (typeof DEFINITIONS)[number] as Definition['kind']]?: DetectBlockOf<Definition>;
};

/** A source kind: `usb`, `serial`, `network`, `file`. */
export type SourceKind = keyof DetectBlocks;

/**
 * The source a device (or a profile) belongs to, given the source kinds whose facts (or blocks)
 * it has: the first in registry order that no other one present carries (a tty with its USB
 * parent's facts is the serial source's). With none, the last source, whose devices carry
 * nothing of another (`file`).
 */
export function owningSource(has: (kind: string) => boolean): string {
  const present = SOURCES.filter((source) => has(source.kind));
  const owner = present.find((source) => !present.some((other) => other.carries?.includes(source.kind)));
  return (owner ?? SOURCES[SOURCES.length - 1]!).kind;
}
