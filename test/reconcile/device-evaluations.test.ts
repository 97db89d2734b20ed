import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProfileIndex } from '../../engine/match/matcher.js';
import { desiredState, type DesiredState, type DesiredStateInput } from '../../engine/reconcile/desired-state.js';
import { DeviceEvaluations } from '../../engine/reconcile/device-evaluations.js';
import { ftdiProfile, input, peripheral, probedModemProfile, serialPort, usbDevice } from './desired-state-fixtures.js';

/** What the backends would be told and what the status shows, without object identities. */
const shown = (state: DesiredState) => ({
  entries: [...state.entries].map(([key, entry]) => [key, entry.payload, entry.profile, entry.deviceKey]),
  devices: state.devices.map((device) => [
    device.key,
    device.match.winner?.profile.name,
    device.payload,
    device.problems,
  ]),
});

/** The same call made with the kept evaluations and without: both must say the same. */
function both(evaluations: DeviceEvaluations, given: DesiredStateInput): DesiredState {
  const kept = desiredState({ ...given, evaluations });
  assert.deepEqual(shown(kept), shown(desiredState(given)));
  return kept;
}

const labelled = (site: string) =>
  ftdiProfile('sensor', [
    ...peripheral,
    'identifier: { cat: ["sensor-", { var: "usb.serialNumber" }] }',
    `description: { cat: ["${site} ", { var: "params.site" }] }`,
  ]);

describe('evaluations kept from one desired state to the next', () => {
  test('an unchanged device is not matched again; one whose facts, profiles or params changed is', () => {
    const evaluations = new DeviceEvaluations();
    const first = usbDevice('usb:1-1', { serialNumber: 'S1', portPath: '1-1' });
    const second = usbDevice('usb:1-2', { serialNumber: 'S2', portPath: '1-2' });
    const params = { site: 'north' };
    const profiles = [labelled('at')];
    const index = new ProfileIndex(profiles);
    const before = both(evaluations, { ...input(profiles, [first, second], params), index });
    // The same devices again: the very same match results come back.
    const again = both(evaluations, { ...input(profiles, [first, second], params), index });
    assert.equal(again.devices[0]!.match, before.devices[0]!.match);
    assert.equal(again.devices[1]!.payload, before.devices[1]!.payload);
    // And the very same entries: the reconciler sees at once that nothing changed.
    const [s1, s2] = ['nuvlabox\u0000sensor-S1', 'nuvlabox\u0000sensor-S2'];
    assert.ok(before.entries.get(s1) && before.entries.get(s2));
    assert.equal(again.entries.get(s1), before.entries.get(s1));
    assert.equal(again.entries.get(s2), before.entries.get(s2));
    // New facts for one device (the inventory makes a new object): that one is evaluated afresh.
    const moved = usbDevice('usb:1-2', { serialNumber: 'S3', portPath: '1-2' });
    const afterMove = both(evaluations, { ...input(profiles, [first, moved], params), index });
    assert.equal(afterMove.devices[0]!.match, before.devices[0]!.match);
    assert.notEqual(afterMove.devices[1]!.match, before.devices[1]!.match);
    assert.ok(afterMove.entries.has('nuvlabox\u0000sensor-S3'));
    assert.equal(afterMove.entries.get(s1), before.entries.get(s1));
    // Other params, and other profiles: every device is evaluated afresh.
    const otherParams = both(evaluations, { ...input(profiles, [first, moved], { site: 'south' }), index });
    assert.equal(otherParams.devices[0]!.payload!.description, 'at south');
    const edited = [labelled('near')];
    const afterEdit = both(evaluations, input(edited, [first, moved], { site: 'south' }));
    assert.equal(afterEdit.devices[0]!.payload!.description, 'near south');
  });

  test('a match that waits for a probe verdict is worked out again, so the verdict shows once it comes', () => {
    const probed = probedModemProfile();
    const device = serialPort('/dev/ttyS1');
    const evaluations = new DeviceEvaluations();
    const given = input([probed], [device]);
    const waiting = both(evaluations, { ...given, probed: () => undefined });
    assert.equal(waiting.entries.size, 0);
    const answered = both(evaluations, {
      ...given,
      probed: () => ({ facts: { response: 'OK modem', hex: '4f 4b', groups: [] } }),
    });
    assert.equal([...answered.entries.values()][0]?.payload.product, 'OK modem');
  });

  test('a device kept from before that now falls back to a later identifier candidate sends that identifier', () => {
    const profile = ftdiProfile('sensor', [
      ...peripheral,
      'identifier:',
      '  - { cat: ["sensor:", { var: "usb.serialNumber" }] }',
      '  - { cat: ["sensor@", { var: "usb.portPath" }] }',
    ]);
    const evaluations = new DeviceEvaluations();
    const first = usbDevice('usb:1-1', { serialNumber: 'X', portPath: '1-1' });
    const twin = usbDevice('usb:1-2', { serialNumber: 'X', portPath: '1-2' });
    const given = input([profile], [first]);
    const alone = both(evaluations, given);
    assert.deepEqual(
      [...alone.entries.values()].map((entry) => entry.payload.identifier),
      ['sensor:X'],
    );
    const paired = both(evaluations, { ...given, devices: [first, twin] });
    assert.equal(paired.devices[0]!.match, alone.devices[0]!.match, 'the first device is answered from what was kept');
    assert.deepEqual([...paired.entries.values()].map((entry) => [entry.identifier, entry.payload.identifier]).sort(), [
      ['sensor@1-1', 'sensor@1-1'],
      ['sensor@1-2', 'sensor@1-2'],
    ]);
  });

  test("a payload its backend's document refuses is reported every time, kept or not", () => {
    const refused = ftdiProfile('sensor', [...peripheral, 'identifier: sensor-1', 'colour: blue']);
    const evaluations = new DeviceEvaluations();
    const device = usbDevice('usb:1-1', { serialNumber: 'S1', portPath: '1-1' });
    const given = input([refused], [device]);
    const first = both(evaluations, given);
    const again = both(evaluations, given);
    assert.equal(again.devices[0]!.match, first.devices[0]!.match, 'the second call is answered from what was kept');
    assert.equal(first.entries.size, 0);
    assert.equal(again.entries.size, 0);
    assert.deepEqual(again.devices[0]!.problems, first.devices[0]!.problems);
    assert.match(first.devices[0]!.problems.join(), /colour/);
  });

  test('a map that fails is reported every time, kept or not', () => {
    // A value that doubles thirty times is stopped by the logic limits: `map failed`.
    const thirty = `[${Array.from({ length: 30 }, (_, index) => index).join(', ')}]`;
    const failing = ftdiProfile('sensor', [
      `description: { reduce: [${thirty}, { cat: [{ var: accumulator }, { var: accumulator }] }, "ab"] }`,
    ]);
    const device = usbDevice('usb:1-1', { serialNumber: null, portPath: null });
    const evaluations = new DeviceEvaluations();
    const given = input([failing], [device]);
    const first = both(evaluations, given);
    const second = both(evaluations, given);
    assert.match(first.devices[0]!.problems.join('\n'), /map failed: .*value over/);
    assert.deepEqual(second.devices[0]!.problems, first.devices[0]!.problems);
    assert.equal(second.entries.size, 0);
  });
});
