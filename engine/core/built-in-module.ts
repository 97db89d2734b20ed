import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A Node built-in loaded at its first use rather than with the engine: `node:https` and
 * `node:child_process` each add 2 to 4 MiB to the daemon's memory, and most daemons never make an
 * HTTPS request or run a program. Node caches the module, so later calls cost a lookup.
 */
export const builtInModule =
  <N extends keyof BuiltIns>(name: N) =>
  (): BuiltIns[N] =>
    require(name) as BuiltIns[N];

/** The built-ins loaded so, with their types. */
interface BuiltIns {
  'node:https': typeof import('node:https');
  'node:child_process': typeof import('node:child_process');
}
