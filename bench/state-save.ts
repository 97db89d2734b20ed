// How long the reconciler's state store takes to save one changed entry among many: the cost
// every acknowledged delivery pays before the next write-ahead record can go out.
//
// How: a StateStore in a fresh temporary folder holds ENTRIES entries shaped like the daemon's
// (a NuvlaBox-like payload, USB facts, an acknowledgement). After one first save (the journal's
// first lines), each of SAVES rounds replaces one entry (a new object, as the reconciler does)
// and awaits `save()`: the store appends that entry to its journal and flushes it. Figures are
// the mean milliseconds per save, journal flush included, and the same without the flush cost
// (a save whose entries did not change: only the comparison of what changed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../engine/core/log.js';
import { StateStore, type HeldEntry } from '../engine/reconcile/state-store.js';
import type { BenchFigure } from './bench-figure.js';

const ENTRIES = 10_000;
const SAVES = 200;

function heldEntry(index: number, version: number): HeldEntry {
  const identifier = `usb:1-${index}`;
  return {
    backend: 'agent',
    identifier,
    notify: { backend: 'agent' },
    profile: 'sensor',
    deviceKey: `usb:1-${index}`,
    facts: {
      usb: {
        vendorId: '10c4',
        productId: 'ea60',
        portPath: `1-${index}`,
        manufacturer: 'Silicon Labs',
        product: 'CP2102 USB to UART Bridge Controller',
        serialNumber: `0001-${index}`,
      },
    },
    acknowledged: {
      payload: { identifier, name: 'Sensor', interface: 'USB', version, classes: ['communication'], available: true },
      at: '2026-11-30T07:00:00.000Z',
    },
  } as HeldEntry;
}

export async function run(): Promise<BenchFigure[]> {
  const folder = mkdtempSync(path.join(tmpdir(), 'bench-state-save-'));
  try {
    const entries = new Map(Array.from({ length: ENTRIES }, (_, index) => [index, heldEntry(index, 0)]));
    const store = new StateStore(folder, () => [...entries.values()], createLogger('error'));
    await store.load();
    await store.save();
    let started = performance.now();
    for (let round = 1; round <= SAVES; round += 1) {
      const index = round % ENTRIES;
      entries.set(index, heldEntry(index, round));
      await store.save();
    }
    const changed = (performance.now() - started) / SAVES;
    started = performance.now();
    for (let round = 1; round <= SAVES; round += 1) await store.save();
    const unchanged = (performance.now() - started) / SAVES;
    store.close();
    return [
      { name: `state save, 1 of ${ENTRIES} entries changed (flush included)`, value: changed, unit: 'ms' },
      { name: `state save, none of ${ENTRIES} entries changed`, value: unchanged, unit: 'ms' },
    ];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
