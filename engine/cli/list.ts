import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { backendNamesOf } from '../config/load-config.js';
import { UsageError } from '../core/errors.js';
import type { Facts } from '../core/facts.js';
import { Inventory } from '../inventory/inventory.js';
import { createLogger } from '../core/log.js';
import { ProfileIndex, probeCandidates } from '../match/matcher.js';
import { ProbeResultsFile } from '../probe/probe-results-file.js';
import { Prober, probeFingerprint } from '../probe/prober.js';
import { loadProfiles } from '../profiles/load-profiles.js';
import { desiredState, type DeviceView } from '../reconcile/desired-state.js';
import { owningSource, SOURCES } from '../sources/index.js';
import { deviceNodeLines } from '../sources/usb/device-node-lines.js';
import { commandConfig, presentHardware } from './command-config.js';

export const LIST_USAGE = `engine list [--profiles DIR] [--config FILE] [--state DIR] [--probe] [--json]

One look at the system now: every USB device, serial port and path the profiles watch, the
profile that matches each, and for the others that came close, which condition failed.
Serial probes are not run: the results the daemon remembers (in --state, default ./state) are
shown; --probe runs the probes that have no remembered result now (this opens the ports).`;

/** One line saying what the device is, by the source it belongs to. */
function describeDevice(device: DeviceView): string {
  const kind = owningSource((root) => Boolean(device.facts[root as keyof Facts]));
  return SOURCES.find((source) => source.kind === kind)!.describe(device.facts, device.key);
}

function formatText(devices: DeviceView[]): string {
  const lines: string[] = [];
  for (const device of devices) {
    lines.push(`${describeDevice(device)}  →  ${device.match.winner?.profile.name ?? '(no profile)'}`);
    for (const node of deviceNodeLines(device.facts, device.source)) lines.push(`    ${node}`);
    for (const candidate of device.match.candidates) {
      if (candidate.matched && !candidate.reason) continue;
      lines.push(`    ${candidate.matched ? '-' : '✗'} ${candidate.profile}: ${candidate.reason}`);
    }
    for (const problem of device.problems) lines.push(`    ! ${problem}`);
  }
  const matched = devices.filter((device) => device.match.winner).length;
  lines.push(`${devices.length} device${devices.length === 1 ? '' : 's'}, ${matched} matched`);
  return lines.join('\n');
}

/**
 * A prober holding the daemon's remembered probe results for the ttys present now (same device,
 * same probe); with `probe`, it also runs the probes that have none, and waits for them.
 */
async function remembered(
  stateDir: string,
  inventory: Inventory,
  index: ProfileIndex,
  probe: boolean,
): Promise<Prober> {
  const log = createLogger('error');
  const prober = new Prober({ log, onResult: () => undefined });
  prober.restore(await new ProbeResultsFile(stateDir, log).read());
  for (const device of inventory.devices()) {
    if (device.source !== 'serial' || !device.facts.serial) continue;
    const candidates = probeCandidates(index, 'serial', device.facts);
    const fingerprint = probeFingerprint(device.facts);
    // Probes run only when asked; otherwise a remembered result counts only for the same device.
    if (probe) prober.want(device.key, device.facts.serial.path, candidates, fingerprint);
    else prober.forgetUnless(device.key, device.facts.serial.path, fingerprint);
  }
  if (!probe)
    for (const key of prober.keys()) if (!inventory.devices().some((device) => device.key === key)) prober.forget(key);
  await prober.idle();
  return prober;
}

/** Runs `engine list`; returns the exit code. */
export async function listCommand(args: string[], out: (text: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      profiles: { type: 'string', default: './profiles' },
      config: { type: 'string' },
      state: { type: 'string', default: './state' },
      probe: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    out(LIST_USAGE);
    return 0;
  }
  if (!existsSync(values.profiles)) throw new UsageError(`no such profiles folder: ${values.profiles}`);
  const config = await commandConfig(values.config, out);
  if (!config) return 1;
  const backends = backendNamesOf(config);
  const set = await loadProfiles([values.profiles], backends);
  const index = new ProfileIndex(set.profiles);
  const inventory = new Inventory();
  for (const device of await presentHardware(index.profiles, config)) inventory.apply({ action: 'add', ...device });
  const prober = await remembered(values.state, inventory, index, values.probe);
  const { devices } = desiredState({
    index,
    devices: inventory.devices(),
    params: config.params,
    host: { hostname: hostname(), arch: process.arch },
    backends,
    probed: (key, entry) => prober.verdict(key, entry),
  });
  await prober.stop();
  out(
    values.json
      ? JSON.stringify(
          devices.map(({ key, source, facts, match, problems }) => ({
            key,
            source,
            profile: match.winner?.profile.name ?? null,
            candidates: match.candidates,
            problems,
            facts,
          })),
          null,
          2,
        )
      : formatText(devices),
  );
  return 0;
}
