// What the reconciler has to do for one key, worked out from that key's desired and held entries
// alone: the reconciler re-derives it only for the keys that changed.
import { isDeepStrictEqual } from 'node:util';
import type { Facts } from '../core/facts.js';
import type { DesiredEntry } from './desired-state.js';
import type { HeldEntry } from './state-store.js';

/** A request to make: register or update what is desired, or remove what is held. */
export type Action = { op: 'create' | 'update'; desired: DesiredEntry } | { op: 'delete'; held: HeldEntry };

/**
 * The facts that say something about the device: `event` is left out, since its time is when
 * this engine first saw the device, new after every restart.
 */
export function lastingFacts(facts: Facts | undefined): Facts {
  const { event: _event, ...lasting } = facts ?? {};
  return lasting;
}

/** What has to be done for one key, if anything. */
export function actionFor(
  desired: DesiredEntry | undefined,
  held: HeldEntry | undefined,
  deletesAllowed: boolean,
): Action | undefined {
  if (!desired) return held && deletesAllowed ? { op: 'delete', held } : undefined;
  const trusted = held?.acknowledged && !held.sending && !held.deleting;
  const factsAgree = !desired.followsFacts || isDeepStrictEqual(lastingFacts(held?.facts), lastingFacts(desired.facts));
  if (
    trusted &&
    isDeepStrictEqual(held.acknowledged!.payload, desired.payload) &&
    isDeepStrictEqual(held.notify, desired.notify) &&
    factsAgree
  )
    return undefined;
  return { op: trusted ? 'update' : 'create', desired };
}

/** What an attempt sent: a permanent failure is tried again at once when this differs. */
export function fingerprint(action: Action): string {
  if (action.op === 'delete') return JSON.stringify(['delete']);
  const { payload, notify, profile, followsFacts, facts } = action.desired;
  return JSON.stringify(followsFacts ? [payload, notify, profile, lastingFacts(facts)] : [payload, notify, profile]);
}

/** Registering (create, update) or removing: a backoff earned by one kind does not hold back the other. */
export const kindOf = (action: Action): 'register' | 'remove' => (action.op === 'delete' ? 'remove' : 'register');

/**
 * Whether two desired entries for one key call for the same requests: what `actionFor` and
 * `fingerprint` compare, and the facts a request carries.
 */
export function sameDesired(before: DesiredEntry, after: DesiredEntry): boolean {
  return (
    before === after ||
    (before.profile === after.profile &&
      before.deviceKey === after.deviceKey &&
      before.followsFacts === after.followsFacts &&
      isDeepStrictEqual(before.payload, after.payload) &&
      isDeepStrictEqual(before.notify, after.notify) &&
      isDeepStrictEqual(lastingFacts(before.facts), lastingFacts(after.facts)))
  );
}
