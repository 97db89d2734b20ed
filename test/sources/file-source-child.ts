// A FileSource in a process of its own, driven by file-source.test.ts: to see whether the process
// can exit after stop(), and to run as an unprivileged user, for whom chmod 000 does bite.
// Writes one JSON object per line on standard output.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../engine/core/log.js';
import { FileSource } from '../../engine/sources/file/file-source.js';
import type { Source } from '../../engine/sources/source.js';
import type { DeviceEvent } from '../../engine/core/device-event.js';
import { presentAfter, waitFor } from './file-source-harness.js';

const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const [mode, root] = process.argv.slice(2);

async function exitAfterStop(folder: string): Promise<void> {
  const source = new FileSource([path.join(folder, '*'), path.join(folder, 'not-yet', 'deeper', '*')], {
    emit: () => undefined,
    log: createLogger('error'),
  });
  await (source as Source).start(new AbortController().signal);
  await source.stop();
  say({ stopped: true });
  // Nothing else is pending: the process must now exit on its own.
}

async function unreadableFolder(folder: string): Promise<void> {
  const events: DeviceEvent[] = [];
  const at = (...parts: string[]) => path.join(folder, ...parts);
  for (const name of ['locked', 'open', 'later']) mkdirSync(at(name));
  for (const name of ['locked/a', 'open/a', 'later/a']) writeFileSync(at(name), '');
  chmodSync(at('locked'), 0o000);
  const log = createLogger('debug', (line) => say({ log: JSON.parse(line) as unknown }));
  const source = new FileSource([at('locked', '*'), at('open', '*'), at('later', '*')], {
    emit: (event) => {
      events.push(event);
      say({ event: `${event.action} ${path.relative(folder, event.facts.file!.path)}` });
    },
    log,
  });
  await (source as Source).start(new AbortController().signal);
  say({ phase: 'started', status: source.status() });
  writeFileSync(at('open', 'b'), '');
  await waitFor('open/b', () => events.some((event) => event.key.endsWith('/open/b')));
  chmodSync(at('later'), 0o000);
  writeFileSync(at('open', 'c'), '');
  await waitFor('open/c', () => events.some((event) => event.key.endsWith('/open/c')));
  chmodSync(at('later'), 0o755);
  chmodSync(at('locked'), 0o755);
  await source.stop();
  say({ phase: 'stopped' });
}

async function unreadableThenReadable(folder: string): Promise<void> {
  const events: DeviceEvent[] = [];
  const at = (...parts: string[]) => path.join(folder, ...parts);
  mkdirSync(at('later'));
  writeFileSync(at('later', 'a'), '');
  const source = new FileSource([at('later', '*')], {
    emit: (event) => events.push(event),
    log: createLogger('error'),
  });
  await (source as Source).start(new AbortController().signal);
  chmodSync(at('later'), 0o000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  chmodSync(at('later'), 0o755);
  writeFileSync(at('later', 'b'), '');
  const present = () => presentAfter(events).map((item) => path.relative(folder, item));
  await waitFor(
    'later/a and later/b',
    () => present().join() === 'later/a,later/b',
    () => '',
    // A condition wait: long only when the source never reports them (the failure it checks).
    10_000,
  ).catch(() => undefined);
  say({
    events: events.map((event) => `${event.action} ${path.relative(folder, event.facts.file!.path)}`),
    present: present(),
  });
  await source.stop();
}

if (mode === 'check') say({ ok: true, uid: process.getuid?.() });
else if (mode === 'exit' && root) await exitAfterStop(root);
else if (mode === 'unreadable' && root) await unreadableFolder(root);
else if (mode === 'unreadable-then-readable' && root) await unreadableThenReadable(root);
else {
  say({ error: `unknown mode ${mode}` });
  process.exitCode = 2;
}
