import type { Facts } from '../core/facts.js';
import type { Detect, LoadedProfile } from '../profiles/profile.js';
import { owningSource, SOURCES } from '../sources/index.js';

/** Why a detect block does not hold for a device, or undefined when it does. */
export type Mismatch = string | undefined;

/** A profile's block for one source kind, if it has one. */
export function detectBlock(detect: Detect, kind: string): unknown {
  return (detect as Record<string, unknown>)[kind];
}

/** The blocks the loaded profiles have for one source kind: what that source is told of the profiles. */
export function detectBlocks(profiles: readonly LoadedProfile[], kind: string): unknown[] {
  return profiles.flatMap((entry) => {
    const block = detectBlock(entry.profile.detect, kind);
    return block === undefined ? [] : [block];
  });
}

/** Why the source blocks of `detect` (not `when`, not the probe) do not hold, if they don't: each source checks its own. */
export function detectMismatch(detect: Detect, facts: Facts): Mismatch {
  for (const source of SOURCES) {
    const block = detectBlock(detect, source.kind);
    const mismatch = block === undefined ? undefined : source.mismatch(block, facts);
    if (mismatch) return mismatch;
  }
  return undefined;
}

/** How specific a detect is: how many keys its source blocks set, `when` and a probe counting one each. */
export function specificity(detect: Detect): number {
  let keys = detect.when === undefined ? 0 : 1;
  for (const source of SOURCES) {
    const block = detectBlock(detect, source.kind);
    if (block) keys += Object.keys(block).length;
  }
  return keys;
}

/**
 * Whether a profile takes every device of a source (`usb: {}` and no other source block). It
 * ranks below every other profile whatever its priority: a catch-all is a fallback, never a
 * competitor.
 */
export function isCatchAll(detect: Detect): boolean {
  let only: unknown;
  let blocks = 0;
  for (const source of SOURCES) {
    const block = detectBlock(detect, source.kind);
    if (!block) continue;
    blocks += 1;
    only = block;
  }
  return blocks === 1 && typeof only === 'object' && only !== null && Object.keys(only).length === 0;
}

/** The kind of device a profile describes: a tty (with its USB parent), a USB device, or a path. */
export function primarySource(detect: Detect): string {
  return owningSource((kind) => Boolean(detectBlock(detect, kind)));
}
