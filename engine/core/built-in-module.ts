import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A Node built-in loaded at its first use rather than with the engine: `node:https` and
 * `node:child_process` each add 2 to 4 MiB to the daemon's memory, and most daemons never make an
 * HTTPS request or run a program. Node caches the module, so later calls cost a lookup.
 */
export const builtInModule =
  <T>(name: 'node:https' | 'node:child_process') =>
  (): T =>
    require(name) as T;
