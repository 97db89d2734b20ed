// Runs the SSDP protocol the way the network source does (the settings as the config gives them,
// the protocol filling its defaults; the test namespace's loopback as the one allowed interface)
// and records what it tells the source.
import { createLogger } from '../../engine/core/log.js';
import type { Announcement, Discoverer } from '../../engine/sources/network/discovery.js';
import { ssdpProtocol } from '../../engine/sources/network/ssdp.js';
import type { SsdpConfig } from '../../engine/sources/network/ssdp-discoverer.js';

export type Heard = { event: 'heard'; announcement: Announcement } | { event: 'left'; id: string };

/** A started SSDP discoverer and its record. */
export interface SsdpListener {
  discoverer: Discoverer;
  events: Heard[];
  /** The protocol's log lines (debug included), parsed. */
  logLines: Array<Record<string, unknown>>;
  /** The announcements heard for a device named `friendlyName`. */
  heardNamed(friendlyName: string): Announcement[];
  leftIds(): string[];
}

export async function listenSsdp(blocks: unknown[], config: Partial<SsdpConfig> = {}): Promise<SsdpListener> {
  const events: Heard[] = [];
  const logLines: Array<Record<string, unknown>> = [];
  const discoverer = ssdpProtocol.create(config as SsdpConfig, {
    heard: (announcement) => events.push({ event: 'heard', announcement }),
    left: (_protocol, id) => events.push({ event: 'left', id }),
    log: createLogger('debug', (line) => {
      logLines.push(JSON.parse(line) as Record<string, unknown>);
      if (process.env.SSDP_TEST_LOG === 'debug') process.stderr.write(line);
    }),
    interfaceAddresses: ['127.0.0.1'],
    onLink: (address) => address.startsWith('127.'),
    heardHosts: () => [],
  });
  await discoverer.start(blocks);
  return {
    discoverer,
    events,
    logLines,
    heardNamed: (friendlyName) =>
      events.flatMap((entry) =>
        entry.event === 'heard' && entry.announcement.facts.friendlyName === friendlyName ? [entry.announcement] : [],
      ),
    leftIds: () => events.flatMap((entry) => (entry.event === 'left' ? [entry.id] : [])),
  };
}
