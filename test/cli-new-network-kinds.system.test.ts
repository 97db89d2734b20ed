// `engine new network:...` writes a profile from what a peripheral announced, and what peripherals
// announce is not always what a profile may say: a WS-Discovery type under a prefix the sender
// never declared, an SSDP device type with a space, a model name longer than a glob may be. The
// profiles made here must pass `engine test` (their schema and their own test); an SSDP device
// that leaves nothing to tell its kind by is refused with the reason.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { builtInBackendNames } from '../engine/backends/index.js';
import { UsageError } from '../engine/core/errors.js';
import type { Facts } from '../engine/core/facts.js';
import { newProfile, type SeenDevice } from '../engine/cli/new-profile.js';
import { runCli } from './paths.js';

type NetworkFacts = NonNullable<Facts['network']>;

const device = (network: NetworkFacts): SeenDevice => ({
  key: `network:${network.protocol}:${network.id}`,
  source: 'network',
  facts: { network },
});

const ssdp = (id: string, own: Record<string, unknown>): SeenDevice =>
  device({
    protocol: 'ssdp',
    id,
    addresses: ['192.168.1.42'],
    host: null,
    port: null,
    ssdp: {
      udn: id,
      deviceType: null,
      friendlyName: null,
      manufacturer: null,
      modelName: null,
      modelNumber: null,
      serialNumber: null,
      rootDevice: true,
      types: ['upnp:rootdevice'],
      location: 'http://192.168.1.42:1400/description.xml',
      server: null,
      ...own,
    },
  } as NetworkFacts);

const wsd = (id: string, types: string[]): SeenDevice =>
  device({
    protocol: 'wsd',
    id,
    addresses: ['192.168.1.64'],
    host: null,
    port: 80,
    wsd: {
      endpoint: id,
      uuid: id.replace('urn:uuid:', ''),
      types,
      scopes: [],
      xaddrs: ['http://192.168.1.64/wsd'],
      metadataVersion: 1,
      onvif: null,
    },
  } as NetworkFacts);

const nuvlabox = builtInBackendNames().get('nuvlabox')!;

test('profiles made from awkward announcements pass their schema and their own test', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-new-network-'));
  try {
    const made = [
      // A type under an undeclared prefix is kept as written in the facts; a profile cannot say it.
      wsd('urn:uuid:5f0e-1', ['ns9:Sensor', 'dn:NetworkVideoTransmitter', '{urn:example}Gauge']),
      wsd('urn:uuid:5f0e-2', ['ns9:Sensor']),
      // An announced device type with a space; a manufacturer too long for the block's glob.
      ssdp('uuid:odd-1', {
        deviceType: 'urn:example:device:Odd Thing:1',
        manufacturer: 'M'.repeat(300),
        modelName: 'Box',
      }),
      ssdp('uuid:odd-2', { deviceType: 'urn:schemas-upnp-org:device:MediaRenderer:1' }),
    ].map((seen, index) => {
      const text = newProfile(seen, [], 'nuvlabox', nuvlabox);
      // A folder each: two of them take the same name, which one folder refuses.
      const own = path.join(folder, String(index));
      mkdirSync(own);
      writeFileSync(path.join(own, 'made.yaml'), text);
      const result = runCli(['test', own]);
      assert.equal(result.status, 0, `${seen.key}:\n${result.stdout}\n${result.stderr}\n${text}`);
      return text;
    });
    // Only what a profile may say is kept: the undeclared prefix, the type with a space and the
    // over-long manufacturer are left out.
    assert.deepEqual(
      made.map((text) => (parse(text) as { detect: unknown }).detect),
      [
        { network: { wsd: { types: ['dn:NetworkVideoTransmitter', '{urn:example}Gauge'] } } },
        { network: { wsd: {} } },
        { network: { ssdp: { modelName: 'Box' } } },
        { network: { ssdp: { deviceType: 'urn:schemas-upnp-org:device:MediaRenderer:1' } } },
      ],
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('an SSDP device with nothing to tell its kind by is refused, with the reason', () => {
  assert.throws(
    () => newProfile(ssdp('uuid:bare-1', {}), [], 'nuvlabox', nuvlabox),
    (error: unknown) =>
      error instanceof UsageError &&
      error.message.includes('network:ssdp:uuid:bare-1') &&
      error.message.includes('description was not read'),
  );
});
