// The one place that knows which strings are secrets: every value the config hands a backend as
// a credential (header values, URL query values, credential-named options) and every `${ENV}`
// value substituted into a backend's config. Text from outside (a server's answer, an error) is
// passed through `redactSecrets` at the few points where it leaves the engine: a backend's
// reason, the logger. A webhook that echoes its Authorization header therefore leaks nothing.

/** Shorter values are too common to be told apart from ordinary text; they are not recorded. */
const MIN_SECRET_LENGTH = 4;

/**
 * Option names whose string values are credentials whatever backend holds them: names that end
 * in one of these words (`apiKey`, `token`), not names that only contain one (`apiKeyIn`, whose
 * values `header` and `query` would otherwise vanish from every log line).
 */
const CREDENTIAL_OPTION = /(?:key|token|secret|password|passwd|authorization|credentials?)$/i;

const REDACTED = '[redacted]';

/** Headers that describe the body, never a credential: their values stay readable. */
const DESCRIPTIVE_HEADERS = new Set(['content-type', 'accept', 'user-agent', 'content-encoding', 'accept-encoding']);

/** The forms a secret may take in text: as it is, URL-encoded, JSON-escaped. */
function formsOf(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  // A header value such as `Bearer abc123` is also redacted when only its token is echoed.
  const token = /^(?:Bearer|Basic|ApiKey|Token)\s+(\S+)$/i.exec(secret)?.[1];
  if (token) for (const form of formsOf(token)) forms.add(form);
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/** The secrets known to this process, longest first so that no shorter one splits a longer one. */
export class SecretRegistry {
  private forms: string[] = [];

  /** Records values as secrets; empty and very short values are ignored. */
  add(values: Iterable<string>): void {
    const known = new Set(this.forms);
    for (const value of values) for (const form of formsOf(value)) known.add(form);
    this.forms = [...known].sort((a, b) => b.length - a.length);
  }

  /** `text` with every recorded secret replaced by `[redacted]`. */
  redact(text: string): string {
    let result = text;
    for (const form of this.forms) if (result.includes(form)) result = result.split(form).join(REDACTED);
    return result;
  }

  get size(): number {
    return this.forms.length;
  }
}

/** The process's secrets: the config loader records them, the logger and the reconciler redact. */
export const secrets = new SecretRegistry();

/** `text` without any secret of this process. */
export const redactSecrets = (text: string): string => secrets.redact(text);

/**
 * The credentials in one backend's options: `headers` values, the query values of URLs and the
 * string values of credential-named options (`apiKey`, `token`, ...), at any depth.
 */
export function credentialsIn(options: unknown, name = ''): string[] {
  if (typeof options === 'string') {
    const found = CREDENTIAL_OPTION.test(name) ? [options] : [];
    if (/^https?:\/\//i.test(options)) {
      try {
        for (const value of new URL(options).searchParams.values()) found.push(value);
        const { password } = new URL(options);
        if (password) found.push(decodeURIComponent(password));
      } catch {
        // Not a URL after all: nothing more in it.
      }
    }
    return found;
  }
  if (Array.isArray(options)) return options.flatMap((item) => credentialsIn(item, name));
  if (typeof options !== 'object' || options === null) return [];
  return Object.entries(options).flatMap(([key, value]) =>
    name === 'headers' && typeof value === 'string'
      ? DESCRIPTIVE_HEADERS.has(key.toLowerCase())
        ? []
        : [value]
      : credentialsIn(value, key),
  );
}
