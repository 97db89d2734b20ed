import type { Payload } from '../backends/backend.js';
import type { BackendDefinition } from '../backends/backend-definition.js';
import type { Device } from '../inventory/inventory.js';
import type { Facts } from '../core/facts.js';
import type { MatchResult } from '../match/matcher.js';
import type { NotifyEntry, Profile } from '../profiles/profile.js';
import { compileSchema } from '../core/schema-issues.js';
import { valueErrorText } from '../core/schema-error-text.js';
import { evaluate, mapOrError, type EvaluationInput } from './device-evaluations.js';
import { resolveIdentifiers, type ResolvedIdentity } from './resolve-identifiers.js';

/** One thing a backend should hold: a payload under an identifier. */
export interface DesiredEntry {
  backend: string;
  identifier: string;
  payload: Payload;
  notify: NotifyEntry;
  profile: string;
  deviceKey: string;
  /** The facts the payload was mapped from, for backends that act on the device itself. */
  facts?: Facts;
  /** The backend acts on the facts (see BackendDefinition.followsFacts): they are compared too. */
  followsFacts?: boolean;
}

/** A device, how it matched, and what could not be sent for it. */
export interface DeviceView extends Device {
  match: MatchResult;
  /** The winner's mapped payload, when its map could be evaluated (sent or not). */
  payload?: Payload;
  problems: string[];
  /**
   * What users must know about how it is delivered: it goes by a later identifier candidate,
   * or shares its identifier with another device (resolve-identifiers.ts).
   */
  warnings?: string[];
  /** What users must know about the backends it is delivered to (BackendDefinition.caveat). */
  notes?: string[];
}

/** Everything the engine should tell the backends, given what is present now. */
export interface DesiredState {
  /** By `backend` + NUL + `identifier`. */
  entries: Map<string, DesiredEntry>;
  devices: DeviceView[];
}

export interface DesiredStateInput extends EvaluationInput {
  devices: readonly Device[];
  /** Backend names with their types; a name missing here is reported for each device. */
  backends: ReadonlyMap<string, BackendDefinition>;
}

/** The key of a desired or acknowledged entry. */
export const entryKey = (backend: string, identifier: string) => `${backend}\u0000${identifier}`;

function documentProblem(definition: BackendDefinition, payload: Payload): string | undefined {
  if (!definition.documentSchema) return undefined;
  const validate = compileSchema(definition.documentSchema);
  if (validate(payload)) return undefined;
  const error = validate.errors![0]!;
  if (error.keyword === 'additionalProperties')
    return `map field \`${String(error.params.additionalProperty)}\` is not a ${definition.type} document field`;
  if (error.instancePath === '') return `map field \`${String(error.params.missingProperty ?? '')}\` ${error.message}`;
  return `map field ${valueErrorText(error, payload)}`;
}

/** A device whose winning profile's map gave a payload and identifier candidates. */
interface MappedView {
  view: DeviceView;
  profile: Profile;
  /** The facts the payload was mapped from. */
  facts: Facts;
  payload: Payload;
  candidates: string[];
  /** Kept with the winner's map result: see {@link documentFor}. */
  documents: Map<NotifyEntry, KeptDocument>;
}

/** What one notify entry made of a payload: the backend's document, its problem, its entry. */
interface KeptDocument {
  definition: BackendDefinition | undefined;
  payload: Payload;
  document: Payload;
  problem: string | undefined;
  entry?: DesiredEntry;
}

/** Per result of a winner's map (Evaluation.mapped, replaced when the winner changes): its documents. */
const keptDocuments = new WeakMap<object, Map<NotifyEntry, KeptDocument>>();

/**
 * The backend's document of a payload and what is wrong with it, made again only when the
 * payload or the backend's definition is another object: a device whose facts did not change
 * keeps its mapped payload, and each recompute of a burst would otherwise make and check every
 * present device's document again, and hand the reconciler entries it must compare field by
 * field.
 */
function documentFor(
  documents: Map<NotifyEntry, KeptDocument>,
  notify: NotifyEntry,
  definition: BackendDefinition | undefined,
  payload: Payload,
): KeptDocument {
  const kept = documents.get(notify);
  if (kept && kept.definition === definition && kept.payload === payload) return kept;
  const document = definition?.document ? definition.document(payload) : payload;
  const problem = definition ? documentProblem(definition, document) : `no backend named ${notify.backend}`;
  const made = { definition, payload, document, problem };
  documents.set(notify, made);
  return made;
}

/**
 * Works out what every backend should hold: each present device is matched, its winning
 * profile's map evaluated, its identifier chosen among its candidates (resolve-identifiers.ts),
 * and the payload checked against each notified backend's document schema. A payload that
 * fails is reported for its device and not sent. Pure: no I/O.
 */
export function desiredState(input: DesiredStateInput): DesiredState {
  const entries = new Map<string, DesiredEntry>();
  const devices: DeviceView[] = [];
  const matched = input.devices.map((device) => {
    const evaluation = evaluate(device, input);
    return { device, match: evaluation.match, evaluation };
  });
  const claims = ttyClaims(matched);
  const mapped: MappedView[] = [];
  for (const { device, evaluation } of matched) {
    const { facts, match: found } = evaluation;
    const match = device.source === 'usb' ? withoutClaimed(found, claims.get(device.facts.usb?.portPath ?? '')) : found;
    const problems: string[] = [...(found.problems ?? [])];
    const view: DeviceView = { ...device, match, problems };
    devices.push(view);
    if (!match.winner) continue;
    const { profile } = match.winner;
    const mappedFacts = match.probe ? { ...facts, probe: match.probe } : facts;
    // Kept with the evaluation: mapped again only when the winner changes.
    if (evaluation.mapped?.profile !== profile)
      evaluation.mapped = { profile, result: mapOrError(profile, mappedFacts) };
    const { result } = evaluation.mapped;
    if (result instanceof Error) {
      problems.push(`profile ${profile.name}: map failed: ${result.message}`);
      continue;
    }
    const { payload, candidates } = result;
    view.payload = payload;
    // Kept with what the winner's map gave, and dropped with it.
    let documents = keptDocuments.get(evaluation.mapped);
    if (!documents) keptDocuments.set(evaluation.mapped, (documents = new Map()));
    if (candidates.length > 0) mapped.push({ view, profile, facts: mappedFacts, payload, candidates, documents });
    else problems.push(`profile ${profile.name}: the map gives no identifier`);
  }
  const identities = resolveIdentifiers(
    mapped.map(({ view, profile, candidates }) => ({
      deviceKey: view.key,
      candidates,
      backends: (profile.notify ?? []).map((notify) => notify.backend),
    })),
  );
  for (const device of mapped) addEntries(entries, device, identities.get(device.view.key)!, input.backends);
  return { entries, devices };
}

/** The entries of one device, one per notified backend, under the identifier it goes by. */
function addEntries(
  entries: Map<string, DesiredEntry>,
  { view, profile, facts, payload: mapped, candidates, documents }: MappedView,
  identity: ResolvedIdentity,
  backends: ReadonlyMap<string, BackendDefinition>,
): void {
  const { identifier } = identity;
  const payload = identifier === candidates[0] ? mapped : { ...mapped, identifier };
  view.payload = payload;
  if (identity.fellBack) (view.warnings ??= []).push(identity.fellBack);
  for (const notify of profile.notify ?? []) {
    const definition = backends.get(notify.backend);
    const made = documentFor(documents, notify, definition, payload);
    const { document, problem } = made;
    if (problem) {
      view.problems.push(`profile ${profile.name}, backend ${notify.backend}: ${problem}`);
      continue;
    }
    if (definition?.caveat) (view.notes ??= []).push(`backend ${notify.backend}: ${definition.caveat}`);
    const key = entryKey(notify.backend, identifier);
    const holder = entries.get(key);
    if (holder) {
      view.problems.push(
        identity.indistinct
          ? `${identity.indistinct}: only ${holder.deviceKey} is delivered to backend ${notify.backend}`
          : `identifier ${identifier} is already used by device ${holder.deviceKey} on backend ${notify.backend}`,
      );
      continue;
    }
    if (identity.indistinct)
      (view.warnings ??= []).push(`${identity.indistinct}: only this one is delivered to backend ${notify.backend}`);
    // The entry of the last recompute when nothing in it changed: the reconciler compares it by identity.
    if (made.entry?.identifier !== identifier || made.entry.facts !== facts || made.entry.deviceKey !== view.key)
      made.entry = {
        backend: notify.backend,
        identifier,
        payload: document,
        notify,
        profile: profile.name,
        deviceKey: view.key,
        // What the payload was mapped from, for the backends that act on the device itself.
        facts,
        ...(definition!.followsFacts && { followsFacts: true }),
      };
    entries.set(key, made.entry);
  }
}

/**
 * USB devices that a serial profile claims through one of their ttys, by port path, with why:
 * a tty it matched (the device is that profile's, not registered a second time as a plain USB
 * device), or probes still running on a tty (wait for them rather than register and retract).
 */
function ttyClaims(matched: { device: Device; match: MatchResult }[]): Map<string, string> {
  const claims = new Map<string, string>();
  for (const { device, match } of matched) {
    const port = device.facts.usb?.portPath;
    if (device.source !== 'serial' || !port) continue;
    if (match.winner)
      claims.set(
        port,
        `the device is claimed by profile ${match.winner.profile.name} through ${device.facts.serial?.path}`,
      );
    else if (match.probing && !claims.has(port))
      claims.set(port, `waiting for the serial probes of ${device.facts.serial?.path}`);
  }
  return claims;
}

function withoutClaimed(match: MatchResult, claim: string | undefined): MatchResult {
  if (!claim || !match.winner) return match;
  return {
    candidates: match.candidates.map((candidate) =>
      candidate.matched ? { ...candidate, matched: false, reason: claim } : candidate,
    ),
  };
}
