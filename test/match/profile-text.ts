import { builtInBackendNames } from '../../engine/backends/index.js';
import { profileSchema } from '../../engine/profiles/profile-schema.js';
import type { LoadedProfile } from '../../engine/profiles/profile.js';
import { validateProfileText } from '../../engine/profiles/validate-profile.js';

const backends = builtInBackendNames();
const context = { backends, schema: profileSchema(backends) };

/**
 * A profile from its YAML text, through the real validator, so that tests use profiles a user
 * could write. Throws with the issues when the text is not a valid profile; warnings are allowed.
 */
export function profileFromYaml(text: string, file = 'inline.yaml'): LoadedProfile {
  const validated = validateProfileText(file, text, context);
  const errors = validated.issues.filter((issue) => issue.severity === 'error');
  if (!validated.profile || errors.length > 0) {
    const listed = errors.map((issue) => `${issue.line}:${issue.col} ${issue.code} ${issue.message}`).join('\n');
    throw new Error(`test profile ${file} is not valid:\n${listed}`);
  }
  return { profile: validated.profile, file };
}

/** Joins YAML lines, so that profiles can be written indented inside a test. */
export const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;
