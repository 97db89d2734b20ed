import { builtInBackendNames, type BackendNames } from '../../engine/backends/index.js';
import { parseConfig } from '../../engine/config/load-config.js';
import type { ProfileIssue } from '../../engine/core/errors.js';
import { profileSchema } from '../../engine/profiles/profile-schema.js';
import { validateProfileText } from '../../engine/profiles/validate-profile.js';

/** Issues of a minimal profile whose only notify entry is `entry` (YAML flow text). */
export function notifyIssues(
  entry: string,
  backends: BackendNames = builtInBackendNames(),
): Pick<ProfileIssue, 'code' | 'line' | 'col'>[] {
  const text = `name: probe-notify\ndetect: { file: { path: /dev/x } }\nmap: { classes: [x] }\nnotify:\n  - ${entry}\n`;
  const { issues } = validateProfileText('notify.yaml', text, { backends, schema: profileSchema(backends) });
  return issues.map(({ code, line, col }) => ({ code, line, col }));
}

/** Issues of a config file declaring one backend `name` of the given YAML body. */
export function configIssues(body: string, env: NodeJS.ProcessEnv = {}): Pick<ProfileIssue, 'code' | 'line' | 'col'>[] {
  const { issues } = parseConfig('engine.yaml', `backends:\n  one:\n${body}`, env);
  return issues.map(({ code, line, col }) => ({ code, line, col }));
}
