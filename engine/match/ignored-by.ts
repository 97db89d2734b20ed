/**
 * What made the engine leave a device alone: an ignore rule of the engine config or an ignore
 * profile (`ignore: true`). Either outranks every other profile.
 */
export interface IgnoredBy {
  /** The rule's or the profile's name. */
  name: string;
  /** The config file that holds the rule, or the profile's file. */
  file: string;
  kind: 'config-rule' | 'profile';
  /** The rule's reason, or the profile's description. */
  reason?: string;
}

/** How `engine list` and the status page name an ignore rule. */
export function ignoredText(ignored: IgnoredBy): string {
  const what =
    ignored.kind === 'config-rule'
      ? `ignore rule ${ignored.name} of ${ignored.file}`
      : `profile ${ignored.name} (${ignored.file})`;
  return `ignored by ${what}${ignored.reason ? `: ${ignored.reason}` : ''}`;
}
