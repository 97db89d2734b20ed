// The answers of the fake NuvlaBox agent (fake-nuvlabox-agent.ts) as its Flask routes and the
// Nuvla stand-in behind them give them, and the small parsers its server needs.
import type http from 'node:http';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { nuvlaboxPeripheralSchema } from '../../engine/backends/shared/nuvlabox-peripheral.js';

export interface Reply {
  status: number;
  /** JSON, or text sent as Flask sends a string (`text/html`) when `html`. */
  body: unknown;
  html?: boolean;
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
const validatePeripheral = ajv.compile(nuvlaboxPeripheralSchema);

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function error(status: number, message: string): Reply {
  return { status, body: { error: message } };
}

export const notFound = (): Reply => error(404, 'Peripheral not found');

/** An error of Nuvla's, which the agent forwards with Nuvla's own status and body shape. */
export const forwarded = (status: number, message: string): Reply => ({ status, body: { status, message } });

/** What Flask answers for an exception nobody caught (e.g. Nuvla unreachable during a POST). */
export const unhandled = (): Reply => ({
  status: 500,
  html: true,
  body: '<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n',
});

/** What the agent's PUT and DELETE handlers answer for an exception they catch (the text says "deleting" for both). */
export const caught = (identifier: string): Reply =>
  error(
    500,
    `Error occurred while deleting ${identifier}: HTTPSConnectionPool(host='nuvla.io', port=443): Max retries exceeded`,
  );

/** Nuvla's verdict on a document a manager sent, forwarded as a 400, or undefined when acceptable. */
export function schemaViolation(document: Record<string, unknown>): Reply | undefined {
  if (validatePeripheral(document)) return undefined;
  return forwarded(400, `resource does not satisfy defined schema: ${ajv.errorsText(validatePeripheral.errors)}`);
}

/** The agent globs over its peripheral files: `*` and `?` only, anchored to the whole name. */
export function globToRegex(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

export function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  if (raw.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

export async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
