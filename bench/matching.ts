// Matching throughput over 1,000 USB profiles: the engine's ProfileIndex (candidates looked up
// by `vendor:product`, the rest scanned) against a linear scan that checks every profile.
//
// How: 1,000 profile texts are generated and checked with validateProfileText, exactly as the
// daemon loads files, so the LoadedProfile objects are real. Each has a distinct vendor:product
// pair; a few add a text glob on the manufacturer, a `when`, or (vendor only, product by glob)
// land in the index's scanned list. DEVICES USB facts objects, most of them known ids and some
// unknown, are matched in process with the engine's own matchDevice; the linear baseline is a
// ProfileIndex whose candidatesFor returns every profile, so both run the same checks. Before
// timing, both must pick the same winner for every device (it throws otherwise). A "match" is
// one matchDevice call for one device; each approach runs rounds over all devices for at least
// MIN_MS (after one warm-up round), at most MAX_ROUNDS rounds.
import { builtInBackendNames } from '../engine/backends/index.js';
import type { Facts } from '../engine/core/facts.js';
import { matchDevice, ProfileIndex } from '../engine/match/matcher.js';
import { validationContext } from '../engine/profiles/load-profiles.js';
import type { LoadedProfile } from '../engine/profiles/profile.js';
import { validateProfileText } from '../engine/profiles/validate-profile.js';
import type { BenchFigure } from './bench-figure.js';

const PROFILE_COUNT = 1000;
const DEVICES = 1000;
const MIN_MS = 1000;
const MAX_ROUNDS = 10_000;

const hex = (value: number) => value.toString(16).padStart(4, '0');
/** Ten products per vendor, so vendor:product pairs are distinct. */
const vendorOf = (index: number) => hex(0x1000 + Math.floor(index / 10));
const productOf = (index: number) => hex(0x0100 + (index % 10));

/** Profile `index`: mostly plain ids; every 25th a manufacturer glob, every 50th a `when`,
 * every 100th vendor-only with a product glob (not indexable, so always scanned). */
function profileText(index: number): string {
  const vendorOnly = index % 100 === 99;
  const usb = [
    `    vendorId: "${vendorOf(index)}"`,
    vendorOnly ? '    product: "Widget*"' : `    productId: "${productOf(index)}"`,
    ...(index % 25 === 0 ? [`    manufacturer: "Maker ${index}*"`] : []),
  ];
  const when = index % 50 === 10 ? ['  when: { "!=": [{ var: "usb.serialNumber" }, null] }'] : [];
  return `name: generated-${index}
detect:
  usb:
${usb.join('\n')}
${when.join('\n')}
map:
  identifier: { cat: ["dev-${index}:", { var: "usb.serialNumber" }] }
  name: Device ${index}
  available: true
  classes: [generated]
  interface: USB
notify:
  - backend: nuvlabox
`;
}

function loadedProfiles(): LoadedProfile[] {
  const context = validationContext(builtInBackendNames());
  return Array.from({ length: PROFILE_COUNT }, (_, index) => {
    const file = `generated/generated-${index}.yaml`;
    const checked = validateProfileText(file, profileText(index), context);
    if (!checked.profile) throw new Error(`generated profile ${index} is invalid: ${JSON.stringify(checked.issues)}`);
    return { profile: checked.profile, file };
  });
}

/** Device `index`: every tenth has ids no profile knows; the others belong to some profile. */
function deviceFacts(index: number): Facts {
  const owner = (index * 7) % PROFILE_COUNT;
  const unknown = index % 10 === 9;
  return {
    usb: {
      vendorId: unknown ? 'ffff' : vendorOf(owner),
      productId: unknown ? hex(index) : productOf(owner),
      manufacturer: index % 2 === 0 ? `Maker ${owner} GmbH` : 'Other Corp',
      product: index % 3 === 0 ? 'Widget Pro' : 'Gadget',
      serialNumber: index % 4 === 0 ? null : `SN${index}`,
      busNumber: 1,
      deviceAddress: 2 + (index % 100),
      portPath: `1-${1 + (index % 4)}`,
      interfaces: [
        { number: 0, class: 'ff', subclass: '00', protocol: '00', driver: null, className: 'Vendor Specific' },
      ],
    },
  };
}

/** The baseline: every profile is a candidate for every device, checked by the same matchDevice. */
class LinearScan extends ProfileIndex {
  override candidatesFor(): LoadedProfile[] {
    return [...this.profiles];
  }
}

/** Matches per second of `index` over `devices`. */
function throughput(index: ProfileIndex, devices: readonly Facts[]): number {
  for (const facts of devices) matchDevice(index, 'usb', facts);
  const started = performance.now();
  let rounds = 0;
  while (rounds < MAX_ROUNDS && (rounds === 0 || performance.now() - started < MIN_MS)) {
    for (const facts of devices) matchDevice(index, 'usb', facts);
    rounds++;
  }
  return (rounds * devices.length) / ((performance.now() - started) / 1000);
}

/** `cli` is unused: matching is measured in process. */
export async function run(_cli: string): Promise<BenchFigure[]> {
  const profiles = loadedProfiles();
  const indexed = new ProfileIndex(profiles);
  const linear = new LinearScan(profiles);
  const devices = Array.from({ length: DEVICES }, (_, index) => deviceFacts(index));
  let withWinner = 0;
  for (const [number, facts] of devices.entries()) {
    const fromIndex = matchDevice(indexed, 'usb', facts).winner?.profile.name;
    const fromScan = matchDevice(linear, 'usb', facts).winner?.profile.name;
    if (fromIndex !== fromScan)
      throw new Error(
        `device ${number}: the index picks ${fromIndex ?? 'nothing'}, the linear scan ${fromScan ?? 'nothing'}`,
      );
    if (fromIndex) withWinner++;
  }
  const fast = throughput(indexed, devices);
  const slow = throughput(linear, devices);
  const what = `matching, ${PROFILE_COUNT} USB profiles, ${DEVICES} devices (${withWinner} with a winner)`;
  return [
    { name: `${what}: ProfileIndex`, value: fast, unit: 'matches/s' },
    { name: `${what}: linear scan`, value: slow, unit: 'matches/s' },
    { name: `${what}: ProfileIndex / linear scan`, value: fast / slow, unit: 'x' },
  ];
}
