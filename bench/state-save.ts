// How long the reconciler's state store takes to record one changed entry among many: the
// write (what a request waits for before it goes) and the write plus its flush to disk.
//
// How: a StateStore in a fresh temporary folder holds ENTRIES entries shaped like the daemon's
// (a NuvlaBox-like payload, USB facts, an acknowledgement). After one first save (the journal's
// first lines), each of SAVES rounds replaces one entry (a new object, as the reconciler does),
// says it changed and awaits `write()` (in the file, not yet flushed), then the same with
// `save()` (write and flush). Figures are the mean milliseconds per round.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../engine/core/log.js';
import { entryKey } from '../engine/reconcile/desired-state.js';
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
    const entries = new Map<string, HeldEntry>();
    const keyOf = (index: number) => entryKey('agent', `usb:1-${index}`);
    const store = new StateStore(folder, entries, createLogger('error'));
    await store.load();
    for (let index = 0; index < ENTRIES; index += 1) {
      entries.set(keyOf(index), heldEntry(index, 0));
      store.changed(keyOf(index));
    }
    await store.save();
    const timeRounds = async (record: () => Promise<void>, first: number) => {
      const started = performance.now();
      for (let round = first; round < first + SAVES; round += 1) {
        const index = round % ENTRIES;
        entries.set(keyOf(index), heldEntry(index, round));
        store.changed(keyOf(index));
        await record();
      }
      return (performance.now() - started) / SAVES;
    };
    const written = await timeRounds(() => store.write(), 1);
    const flushed = await timeRounds(() => store.save(), 1 + SAVES);
    store.close();
    await store.release();
    return [
      { name: `state write, 1 of ${ENTRIES} entries changed (what a request waits for)`, value: written, unit: 'ms' },
      { name: `state write and flush, 1 of ${ENTRIES} entries changed`, value: flushed, unit: 'ms' },
    ];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
