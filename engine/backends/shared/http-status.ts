// Shared by the backends that speak HTTP (nuvlabox-agent, balena-supervisor, http): how an HTTP
// exchange ended, as an ApplyResult. Reasons are built only from status codes, error codes and
// the server's own error text, never from URLs or headers, so a query-string token or an
// Authorization value cannot leak into a log line.
import type { ApplyResult } from '../backend.js';
import { isPlainObject } from '../../core/plain-object.js';

/** The longest wait a server may impose: beyond that, the engine's own backoff decides. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** How much of a server's error text a reason keeps. */
const MAX_DETAIL_LENGTH = 200;

/** 4xx statuses that say "not now" rather than "never": timeout, too early, too many requests. */
const RETRYABLE_CLIENT_STATUSES = new Set([408, 425, 429]);

/** Short words for the error codes of Node's sockets, DNS resolver and undici. */
const NETWORK_ERROR_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  // Node's word for a server that closed the connection without (or in the middle of) an answer.
  ECONNRESET: 'connection closed by the server',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by the server',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out connecting',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the response',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the response',
  ERR_STREAM_PREMATURE_CLOSE: 'connection closed in the middle of the answer',
  ERR_READING_RESPONSE_STREAM: 'connection closed in the middle of the answer',
};

/** What timed out, by the phase got names in its TimeoutError. */
const TIMEOUT_PHASES: Readonly<Record<string, string>> = {
  lookup: 'timed out (DNS lookup)',
  connect: 'timed out connecting',
  secureConnect: 'timed out in the TLS handshake',
  send: 'timed out sending the request',
  response: 'timed out waiting for the response',
  request: 'timed out',
};

/** The retry case of an ApplyResult. */
export type RetryResult = Extract<ApplyResult, { outcome: 'retry' }>;

/** A retry result, with `afterMs` only when there is one (so results compare cleanly). */
export function retry(reason: string, afterMs?: number): RetryResult {
  return afterMs === undefined ? { outcome: 'retry', reason } : { outcome: 'retry', reason, afterMs };
}

/**
 * Milliseconds to wait from a `Retry-After` header: delay-seconds or an HTTP date (a past date
 * is 0), capped at {@link MAX_RETRY_AFTER_MS}. `undefined` when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim() ?? '';
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  // Date.parse reads almost anything ("7", "1.5"); an HTTP date always starts with a day name.
  if (!/^[A-Za-z]{3}/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS);
}

/**
 * The error text of a response body, for a reason: the `error` or `message` of a JSON object,
 * else the text itself; whitespace collapsed, at most 200 characters, empty for HTML pages.
 */
export function responseErrorText(body: string): string {
  let text = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) {
      const { error, message } = parsed as Record<string, unknown>;
      text = typeof error === 'string' ? error : typeof message === 'string' ? message : body;
    }
  } catch {
    // Not JSON: the text as it came.
  }
  text = text.replace(/\s+/g, ' ').trim();
  if (text.startsWith('<')) return '';
  return text.length > MAX_DETAIL_LENGTH ? `${text.slice(0, MAX_DETAIL_LENGTH - 1)}…` : text;
}

/**
 * Classifies an HTTP answer: 2xx acknowledged; 408, 425, 429 and 5xx retry (after `Retry-After`
 * when given); anything else (other 4xx, an unfollowed 3xx) permanent. The reason is
 * `HTTP <status>` followed by the server's error text.
 */
export function classifyResponse(status: number, headers: AnswerHeaders, body: string): ApplyResult {
  if (status >= 200 && status < 300) return { outcome: 'acknowledged' };
  const detail = responseErrorText(body);
  const reason = detail ? `HTTP ${status}: ${detail}` : `HTTP ${status}`;
  if (RETRYABLE_CLIENT_STATUSES.has(status) || (status >= 500 && status < 600)) {
    return retry(reason, parseRetryAfter(headers.get('retry-after')));
  }
  return { outcome: 'permanent', reason };
}

/** The first coded error in an error, its `cause` chain, or the errors of an AggregateError. */
function codedError(error: unknown, depth = 0): { code: string; hostname?: unknown } | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return error as { code: string; hostname?: unknown };
  const nested = Array.isArray(errors) ? [cause, ...errors] : [cause];
  for (const inner of nested) {
    const found = codedError(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** DNS failures name the host that was looked up: the one thing an operator needs to fix them. */
const NAMES_ITS_HOST = new Set(['ENOTFOUND', 'EAI_AGAIN']);

/**
 * Classifies a failed `fetch` (no HTTP answer): always a retry, with a short reason such as
 * `timed out`, `connection refused` or `host not found (DNS): agent`. The error's message is not used,
 * since it may carry the URL.
 */
export function classifyNetworkError(error: unknown): RetryResult {
  if (error instanceof Error && error.name === 'TimeoutError') {
    const phase = (error as { event?: unknown }).event;
    return retry((typeof phase === 'string' && TIMEOUT_PHASES[phase]) || 'timed out');
  }
  const coded = codedError(error);
  const code = coded?.code;
  if (code?.startsWith('HPE_')) return retry(`the answer is not valid HTTP (${code})`);
  const known = code === undefined ? undefined : NETWORK_ERROR_REASONS[code];
  // A host name is not a secret (the URL's credentials and query never come with it).
  const host = NAMES_ITS_HOST.has(code ?? '') && typeof coded?.hostname === 'string' ? coded.hostname : undefined;
  if (known) return retry(host && /^[\w.-]{1,253}$/.test(host) ? `${known}: ${host}` : known);
  return retry(code && /^[A-Z0-9_]+$/.test(code) ? `network error (${code})` : 'network error');
}

/**
 * An answer's headers, read by name in any case, a repeated header's values joined with `, `
 * (what fetch's `Headers` gives, which `Headers` itself satisfies).
 */
export interface AnswerHeaders {
  get(name: string): string | null;
}

/** An HTTP answer, read to the end. */
export interface HttpAnswer {
  status: number;
  headers: AnswerHeaders;
  body: string;
}

/** `HTTP 200 text/html`: the status and media type of an answer, for a reason. */
export function answerSummary(answer: HttpAnswer): string {
  const type = answer.headers.get('content-type')?.split(';')[0]?.trim();
  return `HTTP ${answer.status} ${type || '(no content type)'}`;
}

/**
 * A 2xx that does not keep the backend's contract (a proxy's welcome page, a truncated body):
 * not an acknowledgement but a retry, whose reason says what came back and what was expected.
 */
export function notTheContract(answer: HttpAnswer, verdict: string): RetryResult {
  return retry(
    `${answer.status >= 200 && answer.status < 300 ? answerSummary(answer) : `HTTP ${answer.status}`}: ${verdict}`,
  );
}

/** Whether an answer's body is JSON: one complete value of any kind (an empty body is not). */
export function isJsonAnswer(answer: HttpAnswer): boolean {
  try {
    JSON.parse(answer.body);
    return true;
  } catch {
    return false;
  }
}

/** The answer's body as a JSON object, or undefined when it is not one (truncated, HTML, array). */
export function jsonObjectOf(answer: HttpAnswer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(answer.body);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** What one request gave: an answer, or the retry its network failure amounts to. */
export type HttpExchange = HttpAnswer | RetryResult;

export const isAnswer = (exchange: HttpExchange): exchange is HttpAnswer => 'status' in exchange;
