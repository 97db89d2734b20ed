import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The cookie the login form (or a `?token=` URL, once) sets. */
export const TOKEN_COOKIE = 'engine_status_token';

// Equal-length digests, so that the comparison takes the same time whatever the guess.
const digest = (text: string) => createHash('sha256').update(text).digest();

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * An optional lock on the status server: when a token is set, a request must carry it, as
 * `Authorization: Bearer TOKEN`, as basic auth (any user name, the token as password), as the
 * cookie the login form sets, or in the URL's `token` parameter (which the page turns into the
 * cookie at once, so that it does not stay in the address bar or the history).
 */
export class StatusLock {
  private readonly expected: Buffer | undefined;

  constructor(token: string | undefined) {
    this.expected = token ? digest(token) : undefined;
  }

  get locked(): boolean {
    return this.expected !== undefined;
  }

  /** Whether `candidate` is the token (always true when there is none). */
  accepts(candidate: string | undefined): boolean {
    if (!this.expected) return true;
    return candidate !== undefined && timingSafeEqual(digest(candidate), this.expected);
  }

  /** The token a request presents, from its header or cookie (not its URL). */
  presented(request: IncomingMessage): string | undefined {
    const authorization = request.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(authorization);
    if (bearer) return bearer[1]!.trim();
    const basic = /^Basic\s+(.+)$/i.exec(authorization);
    if (basic) {
      const decoded = Buffer.from(basic[1]!.trim(), 'base64').toString('utf8');
      return decoded.slice(decoded.indexOf(':') + 1);
    }
    return cookieValue(request, TOKEN_COOKIE);
  }

  /** The `Set-Cookie` value that keeps `token` for this browser session. */
  static cookie(token: string): string {
    return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
  }
}
