// `engine validate` over 1,000 generated profiles, as a whole process: wall time and peak memory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchFigure } from './bench-figure.js';
import { measureProcess } from './measure-process.js';

const PROFILE_COUNT = 1000;
const RUNS = 5;

/** A realistic profile: USB ids, strings, a serial probe, JSON-logic in when and map. */
export function generatedProfile(index: number): string {
  const hex = (value: number) => value.toString(16).padStart(4, '0');
  return `# yaml-language-server: $schema=../schemas/profile.schema.json
name: generated-${index}
description: Generated profile number ${index}
priority: ${index % 5}
detect:
  usb:
    vendorId: "${hex(0x1000 + index)}"
    productId: ["${hex(index)}", "${hex(index + 1)}"]
    manufacturer: "Maker ${index}*"
  serial:
    path: "/dev/ttyACM*"
    probe:
      baudRate: 115200
      write: "AT+ID${index}\\r"
      expect: "^OK ([0-9A-F]+)$"
  when:
    and:
      - { "!=": [{ var: "usb.serialNumber" }, null] }
      - { some: [{ var: "usb.interfaces" }, { "==": [{ var: "class" }, "02"] }] }
map:
  identifier: { cat: ["dev-${index}:", { var: "usb.serialNumber" }] }
  name: Device ${index}
  available: true
  classes: [serial, generated]
  interface: USB
  vendor: { var: "usb.manufacturer" }
  serial-number: { var: "usb.serialNumber" }
  device-path: { var: "serial.path" }
  description: { cat: ["Site ", { var: "params.site" }, ", firmware ", { var: "probe.groups.0" }] }
notify:
  - backend: nuvlabox
  - backend: balena
    appId: ${1000 + index}
`;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function run(cli: string): Promise<BenchFigure[]> {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-bench-validate-'));
  try {
    for (let index = 0; index < PROFILE_COUNT; index++)
      writeFileSync(path.join(folder, `generated-${index}.yaml`), generatedProfile(index));
    const runs = [];
    for (let attempt = 0; attempt < RUNS; attempt++) {
      const figures = await measureProcess(process.execPath, [cli, 'validate', folder]);
      if (figures.exitCode !== 0)
        throw new Error(`validate failed on generated profiles:\n${figures.stdout.slice(-2000)}`);
      if (!figures.stdout.includes(`${PROFILE_COUNT} files checked: 0 errors, 0 warnings`))
        throw new Error(`unexpected output: ${figures.stdout.slice(-500)}`);
      runs.push(figures);
    }
    const what = `engine validate, ${PROFILE_COUNT} profiles, whole process, median of ${RUNS}`;
    return [
      { name: `${what}: wall time`, value: median(runs.map((figures) => figures.wallMs)), unit: 'ms' },
      { name: `${what}: CPU time (user+sys)`, value: median(runs.map((figures) => figures.cpuMs)), unit: 'ms' },
      { name: `${what}: peak RSS`, value: median(runs.map((figures) => figures.peakRssKiB)) / 1024, unit: 'MiB' },
    ];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
