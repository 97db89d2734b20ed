import { createRequire } from 'node:module';

type YamlLibrary = typeof import('yaml');

let library: YamlLibrary | undefined;

/**
 * The `yaml` library, loaded at its first use: files read on the fast path (fast-yaml.ts), every
 * valid profile and config as a rule, never need it, and loading it costs a daemon about 7 MiB
 * and 40 ms of CPU. `require`, not `import`: the parsers that use it are synchronous.
 */
export function yamlLibrary(): YamlLibrary {
  return (library ??= createRequire(import.meta.url)('yaml') as YamlLibrary);
}
