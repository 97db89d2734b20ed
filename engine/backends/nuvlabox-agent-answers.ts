// What the NuvlaBox agent's answers mean, beyond their status codes: the cases where its own code
// (agent 2.0.0 and 2.9.6, docs/backends/nuvlabox-agent.md "How the real one behaves") answers
// something a generic HTTP client would misread.
import { isPlainObject } from '../core/plain-object.js';
import type { ApplyResult, Payload } from './backend.js';
import { nuvlaboxPeripheralSchema } from './shared/nuvlabox-peripheral.js';
import {
  classifyResponse,
  isAnswer,
  jsonObjectOf,
  notTheContract,
  responseErrorText,
  type HttpAnswer,
  type HttpExchange,
} from './shared/http-status.js';

const NOT_THE_AGENT = 'this is not the NuvlaBox agent';

/** The agent's answer to a POST of an identifier it already holds (POST is not idempotent). */
export function isAlreadyRegistered(exchange: HttpExchange): boolean {
  return isAnswer(exchange) && exchange.status === 400 && /already registered/i.test(responseErrorText(exchange.body));
}

export const isNotFound = (exchange: HttpExchange): boolean => isAnswer(exchange) && exchange.status === 404;

/**
 * Agent 2.0.0's answer to a PUT for a peripheral deleted in Nuvla behind its local copy: its
 * handler for Nuvla's 404 covers DELETE only, the route fails unpacking the missing result, and
 * Flask answers with its HTML error page, for ever. Any other 500 to a PUT is the agent's own
 * JSON (`{"error": ...}`, e.g. Nuvla unreachable) or a proxy's, and means "try again".
 */
export function isLostInNuvla(exchange: HttpExchange): boolean {
  return (
    isAnswer(exchange) &&
    exchange.status === 500 &&
    /^text\/html/i.test(exchange.headers.get('content-type') ?? '') &&
    /<title>500 Internal Server Error<\/title>/i.test(exchange.body)
  );
}

/**
 * The agent's own message for a DELETE that found Nuvla's copy already gone (it still removes
 * its local one): `Deleted <identifier>`, as plain text (2.9.6) or a JSON string.
 */
function isDeletedMessage(answer: HttpAnswer): boolean {
  let text = answer.body;
  try {
    const parsed: unknown = JSON.parse(answer.body);
    if (typeof parsed === 'string') text = parsed;
  } catch {
    // Plain text, as Flask sends a string.
  }
  return /^Deleted [^\s<>]+$/.test(text.trim());
}

/**
 * Why a success answer does not keep the agent's contract, or undefined when it does: POST
 * answers 201 with a JSON object naming its `resource-id`, PUT 200 with JSON, DELETE 200 with
 * JSON or its `Deleted <identifier>` message. A proxy's page or a body cut short must not count.
 */
function contractBreach(method: string, answer: HttpAnswer): string | undefined {
  const body = jsonObjectOf(answer);
  if (method === 'POST') {
    if (answer.status !== 201) return `${NOT_THE_AGENT} (it answers a registration with 201)`;
    if (!body) return `${NOT_THE_AGENT} (a registration is answered with JSON; this body is not complete JSON)`;
    if (typeof body['resource-id'] !== 'string') return `${NOT_THE_AGENT} (the answer names no resource-id)`;
    return undefined;
  }
  if (answer.status !== 200) return `${NOT_THE_AGENT} (it answers ${method} with 200)`;
  if (!body && !(method === 'DELETE' && isDeletedMessage(answer)))
    return `${NOT_THE_AGENT} (its answers are JSON; this body is not complete JSON)`;
  return undefined;
}

/** The result of an exchange once every agent-specific case has been handled. */
export function outcomeOf(method: string, exchange: HttpExchange): ApplyResult {
  if (!isAnswer(exchange)) return exchange;
  const result = classifyResponse(exchange.status, exchange.headers, exchange.body);
  if (result.outcome !== 'acknowledged') return result;
  const breach = contractBreach(method, exchange);
  return breach ? notTheContract(exchange, breach) : result;
}

/** The fields a manager may set in a peripheral document; the rest are Nuvla's or the agent's. */
const properties = nuvlaboxPeripheralSchema['properties'];
const MANAGER_FIELDS = isPlainObject(properties) ? Object.keys(properties) : [];

/**
 * The fields an adopted Nuvla peripheral kept that `payload` does not have. A POST without a
 * local copy makes the agent look for a Nuvla peripheral with the same identifier (left by an
 * earlier installation) and edit it with the payload; it then answers with the edited document
 * (it has an `id`) instead of its usual created message. Nuvla's edit merges, so the old
 * document's other fields survive, and the agent offers no way to remove them but a DELETE.
 */
export function staleFieldsOfAdoption(exchange: HttpExchange, payload: Payload): string[] {
  if (!isAnswer(exchange) || exchange.status !== 201) return [];
  const body = jsonObjectOf(exchange);
  if (!body || typeof body['id'] !== 'string') return [];
  return MANAGER_FIELDS.filter((field) => field in body && !(field in payload)).sort();
}
