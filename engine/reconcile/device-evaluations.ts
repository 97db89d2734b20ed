import type { Facts } from '../core/facts.js';
import type { Device } from '../inventory/inventory.js';
import { mapDevice, type MappedDevice } from '../map/map-payload.js';
import { matchDevice, type MatchResult, type ProbeVerdict, type ProfileIndex } from '../match/matcher.js';
import type { LoadedProfile, Profile } from '../profiles/profile.js';

/** What a device's match depends on besides the device itself. */
export interface EvaluationInput {
  index: ProfileIndex;
  params: Record<string, unknown>;
  host: NonNullable<Facts['host']>;
  /** The verdict of a profile's serial probe on a device, once it has run. */
  probed?: (deviceKey: string, entry: LoadedProfile) => ProbeVerdict | undefined;
  /** Kept from earlier calls: what each unchanged device matched and mapped to. */
  evaluations?: DeviceEvaluations;
}

/** What one device matched, and what its winner's map gave (or why it failed), once mapped. */
export interface Evaluation {
  facts: Facts;
  match: MatchResult;
  mapped?: { profile: Profile; result: MappedDevice | Error };
}

type Context = Pick<EvaluationInput, 'index' | 'params' | 'host'>;

const sameContext = (a: Context, b: Context) =>
  a.index === b.index && a.params === b.params && a.host.hostname === b.host.hostname && a.host.arch === b.host.arch;

/**
 * What matching and mapping gave for each device, kept from one call of `desiredState` to the
 * next while the device (the same inventory object: a change of facts makes a new one), the
 * profiles, the params and the host stay the same. In a burst, each event would otherwise match
 * and map every device present again. A match that asked for a probe verdict is not kept: the
 * verdict may come or change while the device does not.
 */
export class DeviceEvaluations {
  private readonly kept = new WeakMap<Device, { context: Context; evaluation: Evaluation }>();

  get(device: Device, context: Context): Evaluation | undefined {
    const kept = this.kept.get(device);
    return kept && sameContext(kept.context, context) ? kept.evaluation : undefined;
  }

  keep(device: Device, context: Context, evaluation: Evaluation): void {
    const { index, params, host } = context;
    this.kept.set(device, { context: { index, params, host }, evaluation });
  }
}

/** A device's facts and match: kept from an earlier call when nothing they depend on changed. */
export function evaluate(device: Device, input: EvaluationInput): Evaluation {
  const kept = input.evaluations?.get(device, input);
  if (kept) return kept;
  const facts: Facts = {
    ...device.facts,
    host: input.host,
    params: input.params,
    event: { action: 'add', at: device.since },
  };
  let askedForVerdict = false;
  const match = matchDevice(input.index, device.source, facts, (entry) => {
    askedForVerdict = true;
    return input.probed?.(device.key, entry);
  });
  const evaluation: Evaluation = { facts, match };
  if (!askedForVerdict) input.evaluations?.keep(device, input, evaluation);
  return evaluation;
}

/** The winner's map evaluated, or why it could not be. */
export function mapOrError(profile: Profile, facts: Facts): MappedDevice | Error {
  try {
    return mapDevice(profile, facts);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
