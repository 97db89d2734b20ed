import { existsSync } from 'node:fs';
import { loadConfigOrDefault, type EngineConfig } from '../config/load-config.js';
import { UsageError } from '../core/errors.js';
import { detectBlocks } from '../match/detect-checks.js';
import type { LoadedProfile } from '../profiles/profile.js';
import { SOURCES } from '../sources/index.js';
import { formatReport, type Format } from './format-issues.js';
import type { SeenDevice } from './new-profile.js';

/**
 * The config a one-shot command runs with: `--config FILE`, or the built-in backends without one.
 * A missing file is a usage error; a config with issues prints them and gives undefined (exit 1).
 */
export async function commandConfig(
  configFile: string | undefined,
  out: (text: string) => void,
  format: Format = 'text',
): Promise<EngineConfig | undefined> {
  if (configFile !== undefined && !existsSync(configFile)) throw new UsageError(`no such config file: ${configFile}`);
  const loaded = await loadConfigOrDefault(configFile, process.env);
  if (!loaded.config) out(formatReport({ filesChecked: 1, issues: loaded.issues, texts: loaded.texts }, format));
  return loaded.config;
}

/**
 * The devices present now, as the daemon's sources would report them at start-up: one look by
 * every source, the file source at the paths the profiles name.
 */
export async function presentHardware(
  profiles: readonly LoadedProfile[] = [],
  config?: EngineConfig,
): Promise<SeenDevice[]> {
  const found = await Promise.all(
    SOURCES.map((source) => source.enumerate(detectBlocks(profiles, source.kind), config?.sources[source.kind])),
  );
  return found.flat();
}
