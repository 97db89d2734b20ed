import { parseArgs } from 'node:util';
import { backendNamesOf } from '../config/load-config.js';
import { UsageError } from '../core/errors.js';
import { readFileFacts } from '../sources/file/file-facts.js';
import { networkSource } from '../sources/network/network.js';
import { commandConfig, presentHardware } from './command-config.js';
import { networkBlocksForKey } from './new-network.js';
import { newProfile, type SeenDevice } from './new-profile.js';

export const NEW_USAGE = `engine new KEY [--backend NAME] [--config FILE]

Prints a profile for the device engine list shows as KEY (usb:1-5, serial:1-5:if00,
file:/dev/video0, network:mdns:Printer._ipp._tcp.local): it recognises that device and not its
neighbours (ids plus the product string, the serial number where a neighbour has the same ids,
the interface of a tty; a network peripheral's service type, device type or types), maps it for
the backend NAME (default nuvlabox; --config names others) and carries a test built from the
device's facts. Save it in the profiles folder, then run engine validate and engine test.`;

/** The USB devices and serial ports present now, as `engine list` keys them. */
/** Runs `engine new`; returns the exit code. */
export async function newCommand(args: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      backend: { type: 'string', default: 'nuvlabox' },
      config: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    out(NEW_USAGE);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      'engine new takes one device key, as engine list shows it (usb:1-5, serial:1-5:if00, file:/dev/video0)',
    );
  const key = positionals[0]!;
  const config = await commandConfig(values.config, out);
  if (!config) return 1;
  const backends = backendNamesOf(config);
  const definition = backends.get(values.backend);
  if (!definition)
    throw new UsageError(`no backend named ${values.backend}; known: ${[...backends.keys()].join(', ')}`);

  let device: SeenDevice | undefined;
  let neighbours: SeenDevice[] = [];
  if (key.startsWith('file:')) {
    const file = await readFileFacts(key.slice('file:'.length));
    if (file) device = { key, source: 'file', facts: { file } };
  } else if (key.startsWith('network:')) {
    // Listens on the config's interfaces, for what the key names, as engine list does.
    const heard = await networkSource.enumerate(networkBlocksForKey(key), config.sources.network);
    device = heard.find((candidate) => candidate.key === key);
  } else {
    neighbours = await presentHardware();
    device = neighbours.find((candidate) => candidate.key === key);
  }
  if (!device) {
    process.stderr.write(`engine: no device ${key} here; engine list shows the devices present and their keys\n`);
    return 1;
  }
  out(newProfile(device, neighbours, values.backend, definition).trimEnd());
  return 0;
}
