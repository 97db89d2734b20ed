// What a leaving device still holds, and when its hold ends: values in, values out (the timers
// are the real ones; the one test that needs a hold to run out waits for it to be told).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  entryKey,
  type DesiredEntry,
  type DesiredState,
  type DeviceView,
} from '../../engine/reconcile/desired-state.js';
import {
  absentAtStart,
  LeavingDevices,
  withLeaving,
  type LeavingDevice,
} from '../../engine/reconcile/leaving-devices.js';
import type { LoadedProfile } from '../../engine/profiles/profile.js';
import type { HeldEntry } from '../../engine/reconcile/state-store.js';

const entry = (deviceKey: string, identifier: string, name = identifier): DesiredEntry => ({
  backend: 'nuvlabox',
  identifier,
  payload: { identifier, name },
  notify: { backend: 'nuvlabox' },
  profile: 'gps',
  deviceKey,
});

const view = (key: string, probing = false): DeviceView => ({
  key,
  source: 'usb',
  facts: {},
  since: '2026-01-01T00:00:00.000Z',
  match: { candidates: [], ...(probing && { probing }) },
  problems: [],
});

const stateOf = (devices: DeviceView[], entries: DesiredEntry[]): DesiredState => ({
  devices,
  entries: new Map(entries.map((item) => [entryKey(item.backend, item.identifier), item])),
});

const leavingOf = (key: string, entries: DesiredEntry[]): LeavingDevice => ({
  view: view(key),
  entries,
  since: '2026-01-01T00:00:00.000Z',
  until: '2026-01-01T00:00:02.000Z',
});

describe('withLeaving', () => {
  test('a leaving device keeps its entries; a present device that maps to the same identifier outranks it', () => {
    const present = stateOf([view('usb:1-2')], [entry('usb:1-2', 'gps:A', 'moved')]);
    const merged = withLeaving(present, [
      leavingOf('usb:1-1', [entry('usb:1-1', 'gps:A', 'before'), entry('usb:1-1', 'gps:B')]),
    ]);
    assert.deepEqual(
      [...merged.entries.values()].map((item) => [item.identifier, item.deviceKey, item.payload.name]),
      [
        ['gps:A', 'usb:1-2', 'moved'],
        ['gps:B', 'usb:1-1', 'gps:B'],
      ],
    );
    assert.equal(merged.devices, present.devices, 'the devices are the present ones');
    assert.equal(present.entries.size, 1, 'the present state is left alone');
  });

  test('nothing leaving: the same state', () => {
    const present = stateOf([], [entry('usb:1-2', 'gps:A')]);
    assert.equal(withLeaving(present, []), present);
  });
});

describe('LeavingDevices', () => {
  test('holds a device with entries for its hold, once; a zero hold or a device without entries is not held', () => {
    const leaving = new LeavingDevices(() => assert.fail('no hold ends here'));
    try {
      assert.equal(leaving.hold(view('usb:1-1'), [entry('usb:1-1', 'a')], 0), undefined);
      assert.equal(leaving.hold(view('usb:1-3'), [], 2000), undefined);
      const held = leaving.hold(view('usb:1-1'), [entry('usb:1-1', 'a')], 2000, Date.parse('2026-01-01T00:00:00Z'));
      assert.deepEqual([held?.since, held?.until], ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:02.000Z']);
      assert.equal(leaving.hold(view('usb:1-1'), [entry('usb:1-1', 'a')], 9000), undefined, 'not held longer');
      assert.deepEqual(
        leaving.list([]).map((device) => device.view.key),
        ['usb:1-1'],
      );
      assert.deepEqual(leaving.list([view('usb:1-1')]), [], 'a device present again is not listed as leaving');
    } finally {
      leaving.clear();
    }
  });

  test('a hold that runs out while its device is back and still probing keeps its entries until the probe ends; one whose device is away ends', async () => {
    let told!: () => void;
    const bothEnded = new Promise<void>((resolve) => {
      let count = 0;
      told = () => ++count === 2 && resolve();
    });
    const leaving = new LeavingDevices(() => told());
    try {
      leaving.hold(view('serial:1-1:if00'), [entry('serial:1-1:if00', 'a')], 1);
      leaving.hold(view('usb:1-4'), [entry('usb:1-4', 'b')], 1);
      await bothEnded;
      const back = stateOf([view('serial:1-1:if00', true)], []);
      leaving.settle(back);
      assert.ok(leaving.has('serial:1-1:if00'), 'back, still probing: its registration is not deleted yet');
      assert.ok(!leaving.has('usb:1-4'), 'away when its hold ran out: gone');
      assert.deepEqual([...leaving.applyTo(back).entries.keys()], [entryKey('nuvlabox', 'a')]);
      leaving.settle(stateOf([], []));
      assert.ok(!leaving.has('serial:1-1:if00'), 'gone again, its hold over: ends');
    } finally {
      leaving.clear();
    }
  });

  test('a device back under its key ends its hold once no probe is left to run; one back elsewhere, once it holds every identifier', () => {
    const leaving = new LeavingDevices(() => assert.fail('no hold ends here'));
    try {
      leaving.hold(view('serial:1-1:if00'), [entry('serial:1-1:if00', 'a')], 2000);
      leaving.hold(view('usb:1-4'), [entry('usb:1-4', 'b'), entry('usb:1-4', 'c')], 2000);
      leaving.settle(stateOf([view('serial:1-1:if00', true)], [entry('usb:1-5', 'b')]));
      assert.ok(leaving.has('serial:1-1:if00'), 'still probing: its match may not be known yet');
      assert.ok(leaving.has('usb:1-4'), 'one identifier of two taken');
      assert.deepEqual(
        [...leaving.applyTo(stateOf([], [entry('usb:1-5', 'b')])).entries.values()].map((item) => item.deviceKey),
        ['usb:1-5', 'serial:1-1:if00', 'usb:1-4'],
      );
      leaving.settle(stateOf([view('serial:1-1:if00')], [entry('usb:1-5', 'b'), entry('usb:1-5', 'c')]));
      assert.ok(!leaving.has('serial:1-1:if00'), 'matched for good, even to nothing');
      assert.ok(!leaving.has('usb:1-4'), 'every identifier is held by the device in its new port');
    } finally {
      leaving.clear();
    }
  });

  test('every hold that starts or ends is written to the journal; one an earlier run started keeps its start; stopping keeps them', () => {
    const journal: string[] = [];
    const leaving = new LeavingDevices(() => assert.fail('no hold ends here'));
    leaving.keepIn({
      set: (key, times) => journal.push(`set ${key} ${times.since} ${times.until}`),
      delete: (key) => journal.push(`delete ${key}`),
    });
    try {
      const now = Date.parse('2026-01-01T00:01:00Z');
      leaving.hold(view('usb:1-1'), [entry('usb:1-1', 'a')], 2000, now);
      const resumed = leaving.hold(view('usb:1-2'), [entry('usb:1-2', 'b')], 500, now, '2026-01-01T00:00:59.000Z');
      assert.deepEqual([resumed?.since, resumed?.until], ['2026-01-01T00:00:59.000Z', '2026-01-01T00:01:00.500Z']);
      leaving.hold(view('usb:1-1'), [entry('usb:1-1', 'a')], 9000, now);
      leaving.settle(stateOf([view('usb:1-1')], [entry('usb:1-1', 'a')]));
      leaving.clear();
      assert.deepEqual(journal, [
        'set usb:1-1 2026-01-01T00:01:00.000Z 2026-01-01T00:01:02.000Z',
        'set usb:1-2 2026-01-01T00:00:59.000Z 2026-01-01T00:01:00.500Z',
        'delete usb:1-1',
      ]);
    } finally {
      leaving.clear();
    }
  });
});

describe('registrations of devices absent at start-up', () => {
  const held = (deviceKey: string, identifier: string, extra: Partial<HeldEntry> = {}): HeldEntry => ({
    ...entry(deviceKey, identifier),
    facts: { usb: { vendorId: '1546' } } as HeldEntry['facts'],
    acknowledged: { payload: { identifier, name: 'as acknowledged' }, at: '2026-01-01T00:00:00.000Z' },
    ...extra,
  });
  const loadedGps = { profile: { name: 'gps' }, file: 'gps.yaml' } as LoadedProfile;
  const profileOf = (name: string) => (name === 'gps' ? loadedGps : undefined);
  const holds = (_winner: LoadedProfile, source: string) => (source === 'usb' ? 2000 : 0);

  test('are held by device, as acknowledged, for the hold of their profile or source', () => {
    const absent = absentAtStart(
      [
        held('usb:1-1', 'gps-a'),
        held('usb:1-1', 'gps-a-2'),
        held('usb:1-2', 'present-now'),
        held('usb:1-3', 'desired-again'),
        held('usb:1-4', 'in-doubt', { sending: { payload: {}, since: '2026-01-01T00:00:00.000Z' } }),
        held('usb:1-5', 'being-deleted', { deleting: { since: '2026-01-01T00:00:00.000Z' } }),
        held('usb:1-6', 'never-acknowledged', { acknowledged: undefined }),
        held('usb:1-7', 'profile-gone', { profile: 'gone-profile' }),
        held('file:/dev/x', 'no-hold'),
      ],
      stateOf([view('usb:1-2')], [entry('usb:1-9', 'desired-again')]),
      profileOf,
      holds,
      Date.parse('2026-06-01T00:00:00.000Z'),
    );
    assert.deepEqual(
      absent.map(({ view: device, entries, holdMs }) => [device.key, entries.map((item) => item.identifier), holdMs]),
      [['usb:1-1', ['gps-a', 'gps-a-2'], 2000]],
    );
    const [gps] = absent;
    assert.deepEqual(gps!.entries[0]!.payload, { identifier: 'gps-a', name: 'as acknowledged' });
    assert.deepEqual(gps!.view.facts, { usb: { vendorId: '1546' } });
    assert.equal(gps!.view.since, '2026-06-01T00:00:00.000Z');
    assert.equal(gps!.view.source, 'usb');
    assert.equal(gps!.view.match.winner, loadedGps);
  });
});
