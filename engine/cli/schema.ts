import { profileSchema } from '../profiles/profile-schema.js';

/** Runs `engine schema`: prints the profile JSON Schema. */
export function schemaCommand(out: (text: string) => void): number {
  out(JSON.stringify(profileSchema(), null, 2));
  return 0;
}
