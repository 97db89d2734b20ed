import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../engine/core/log.js';
import { FileSource } from '../../engine/sources/file/file-source.js';
import type { Source } from '../../engine/sources/source.js';
import type { DeviceEvent } from '../../engine/core/device-event.js';

/** Polls `condition` until it holds; fails with `what` and the last `detail` after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean,
  detail: () => unknown = () => '',
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${JSON.stringify(detail())}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `action key` lines, the shape the tests compare. */
export const described = (events: readonly DeviceEvent[]) =>
  events.map((event) => `${event.action} ${event.key.replace(/^file:/, '')}`);

/** The paths present after replaying `events` in order. */
export function presentAfter(events: readonly DeviceEvent[]): string[] {
  const present = new Set<string>();
  for (const event of events) {
    const where = event.facts.file!.path;
    if (event.action === 'remove') present.delete(where);
    else present.add(where);
  }
  return [...present].sort();
}

/** A FileSource on real folders, recording what it emits and logs. */
export interface WatchedFolder {
  root: string;
  /** A path under the root. */
  at(...parts: string[]): string;
  events: DeviceEvent[];
  logs: Record<string, unknown>[];
  source: FileSource | undefined;
  start(globs: string[]): Promise<FileSource>;
  /** Waits until replaying the events gives exactly these paths (relative to the root). */
  waitForPresent(expected: string[], timeoutMs?: number): Promise<void>;
  /** Stops the source and deletes the folder. */
  dispose(): Promise<void>;
}

export function watchedFolder(): WatchedFolder {
  const root = mkdtempSync(path.join(tmpdir(), 'file-source-'));
  const relative = (paths: string[]) => paths.map((item) => path.relative(root, item));
  const folder: WatchedFolder = {
    root,
    at: (...parts) => path.join(root, ...parts),
    events: [],
    logs: [],
    source: undefined,
    async start(globs) {
      const log = createLogger('debug', (line) => folder.logs.push(JSON.parse(line) as Record<string, unknown>));
      const source = new FileSource(globs, { emit: (event) => folder.events.push(event), log });
      folder.source = source;
      await (source as Source).start(new AbortController().signal);
      return source;
    },
    async waitForPresent(expected, timeoutMs) {
      const wanted = JSON.stringify([...expected].sort());
      await waitFor(
        `present = ${wanted}`,
        () => JSON.stringify(relative(presentAfter(folder.events))) === wanted,
        () => described(folder.events),
        timeoutMs,
      );
    },
    async dispose() {
      await folder.source?.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return folder;
}

/** Resolves after `ms`: only to let events that should not come have their chance to. */
export const quietPeriod = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));
