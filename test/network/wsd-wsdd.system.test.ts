/*
 * The WS-Discovery discoverer against a real responder, Debian's wsdd, inside the suite's network
 * namespace (scripts/in-test-netns.sh): heard with its endpoint reference and types after a Probe,
 * gone at once when it says Bye (SIGTERM), and not heard again when killed without a word
 * (SIGKILL), so the network source lets it go stale. Hostile datagrams on the group never stop it,
 * a flood of endpoints is held to maxEndpoints, and one host's to maxEndpointsPerAddress.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../engine/core/log.js';
import type { Announcement, Discoverer } from '../../engine/sources/network/discovery.js';
import { wsdProtocol } from '../../engine/sources/network/wsd.js';
import { WSD_GROUP, WSD_PORT } from '../../engine/sources/network/wsd-discoverer.js';
import { parseDiscoveryMessage } from '../../engine/sources/network/wsd-messages.js';
import { typeFromMessage } from '../../engine/sources/network/wsd-types.js';
import { child, readXml } from '../../engine/sources/network/wsd-xml.js';
import { waitFor } from '../daemon/engine-process.js';
import { outsideTestNetns } from './netns.js';
import { manyMatches } from './wsd-samples.js';
import { addTestAddress, startWsdd, WSD_TEST_ADDRESS, type Wsdd } from './wsdd.js';

/** What a discoverer told the network source, in order. */
interface Told {
  heard: Announcement[];
  left: string[];
  /** Endpoints heard again after they left. */
  back: string[];
}

/**
 * A discoverer probing for wsdd's `wsdp:Device` and for a type of this test alone, whose Probes
 * the test counts: the two are sent in the same round, so each marker Probe seen is a round.
 */
async function startDiscoverer(
  maxEndpoints = 256,
  extraTypes: string[] = [],
  { maxEndpointsPerAddress = 32, onLink = [WSD_TEST_ADDRESS] } = {},
) {
  const told: Told = { heard: [], left: [], back: [] };
  const marker = `{urn:wsd-test:${randomUUID()}}Marker`;
  markers.add(marker);
  const discoverer: Discoverer = wsdProtocol.create(
    { probeIntervalMs: 1000, maxEndpoints, maxEndpointsPerAddress },
    {
      heard: (announcement) => {
        told.heard.push(announcement);
        if (told.left.includes(announcement.id)) told.back.push(announcement.id);
      },
      left: (_protocol, id) => told.left.push(id),
      log: createLogger('error', () => undefined),
      interfaceAddresses: [WSD_TEST_ADDRESS],
      onLink: (address) => onLink.includes(address),
      heardHosts: () => [],
    },
  );
  await discoverer.start([
    { types: ['wsdp:Device'] },
    ...extraTypes.map((type) => ({ types: [type] })),
    { types: [marker] },
  ]);
  return { discoverer, told, marker };
}

/**
 * Every Probe sent on the group in the namespace, with who sent it and the types it names, and the
 * endpoint of every Hello (each repeat counted).
 */
function watchProbes(): { socket: Socket; probes: { sender: string; types: string[] }[]; hellos: string[] } {
  const probes: { sender: string; types: string[] }[] = [];
  const hellos: string[] = [];
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (datagram, sender) => {
    const message = parseDiscoveryMessage(datagram);
    if (message?.kind === 'hello') hellos.push(...message.endpoints.map((endpoint) => endpoint.address));
    const probe = child(child(readXml(datagram.toString()), 'Body'), 'Probe');
    const types = child(probe, 'Types');
    const named = types?.text.split(/\s+/).filter(Boolean) ?? [];
    if (probe) probes.push({ sender: sender.address, types: named.map((name) => typeFromMessage(name, types!.scope)) });
  });
  socket.bind(WSD_PORT, WSD_GROUP, () => socket.addMembership(WSD_GROUP, WSD_TEST_ADDRESS));
  return { socket, probes, hellos };
}

/** The marker types of this file's discoverers: other test files probe in the same namespace. */
const markers = new Set<string>();

const heardOf = (told: Told, endpoint: string) => told.heard.filter((announcement) => announcement.id === endpoint);

describe('WS-Discovery with wsdd', { skip: outsideTestNetns }, () => {
  const started: { discoverers: Discoverer[]; wsdds: Wsdd[]; sockets: Socket[] } = {
    discoverers: [],
    wsdds: [],
    sockets: [],
  };
  let watched: ReturnType<typeof watchProbes>;

  /** How many Probes for a discoverer's marker type were seen: its rounds of probes. */
  const markerProbes = (marker: string) => watched.probes.filter((probe) => probe.types.includes(marker)).length;

  before(() => {
    addTestAddress();
    watched = watchProbes();
    started.sockets.push(watched.socket);
  });
  after(async () => {
    await Promise.all(started.wsdds.map((wsdd) => wsdd.kill()));
    await Promise.all(started.discoverers.map((discoverer) => discoverer.stop()));
    for (const socket of started.sockets) socket.close();
  });

  test('wsdd is heard with its endpoint reference and types, and left at once when it says Bye', async () => {
    const { discoverer, told, marker } = await startDiscoverer();
    started.discoverers.push(discoverer);
    const uuid = randomUUID();
    const wsdd = startWsdd(uuid);
    started.wsdds.push(wsdd);
    // Its Hello gives XAddrs, its answer to a Probe types: the two are merged.
    await waitFor('wsdd heard with its types and XAddrs', () =>
      heardOf(told, wsdd.endpoint).some(
        (heard) =>
          (heard.facts.types as string[]).includes('pub:Computer') && (heard.facts.xaddrs as string[]).length > 0,
      ),
    );
    const heard = heardOf(told, wsdd.endpoint).at(-1)!;
    assert.equal(heard.protocol, 'wsd');
    assert.deepEqual(heard.addresses, [WSD_TEST_ADDRESS]);
    assert.deepEqual(heard.facts.types, ['wsdp:Device', 'pub:Computer']);
    assert.equal(heard.facts.uuid, uuid);
    assert.equal(heard.facts.endpoint, `urn:uuid:${uuid}`);
    assert.deepEqual(heard.facts.xaddrs, [`http://${WSD_TEST_ADDRESS}:5357/${uuid}`]);
    assert.equal(heard.port, 5357);
    assert.equal(heard.freshMs, 3000);
    assert.ok(!told.left.includes(wsdd.endpoint));

    await wsdd.stop();
    await waitFor('its Bye', () => told.left.includes(wsdd.endpoint));
    // wsdd answers Probes while it shuts down, after its Bye: those answers do not bring it back.
    const rounds = markerProbes(marker);
    await waitFor('two more rounds of probes', () => markerProbes(marker) >= rounds + 2);
    assert.deepEqual(told.back, []);
  });

  test('started after its Hello, the discoverer gets its XAddrs by a Resolve (its ProbeMatch has none)', async () => {
    const wsdd = startWsdd(randomUUID());
    started.wsdds.push(wsdd);
    // wsdd sends its Hello four times (SOAP-over-UDP's repeats): wait for the last.
    await waitFor('its Hellos', () => watched.hellos.filter((endpoint) => endpoint === wsdd.endpoint).length >= 4);
    const { discoverer, told } = await startDiscoverer();
    started.discoverers.push(discoverer);
    await waitFor('its XAddrs', () =>
      heardOf(told, wsdd.endpoint).some((heard) => (heard.facts.xaddrs as string[]).length > 0),
    );
    assert.deepEqual(heardOf(told, wsdd.endpoint).at(-1)!.facts.types, ['wsdp:Device', 'pub:Computer']);
    await wsdd.stop();
  });

  test('wsdd killed without a Bye is not heard again on the next probes', async () => {
    const { discoverer, told, marker } = await startDiscoverer();
    started.discoverers.push(discoverer);
    const wsdd = startWsdd(randomUUID());
    started.wsdds.push(wsdd);
    await waitFor('wsdd heard', () => heardOf(told, wsdd.endpoint).length > 0);
    await wsdd.kill();
    const afterKill = markerProbes(marker);
    await waitFor('a round of probes after the kill', () => markerProbes(marker) >= afterKill + 1);
    const heardThen = heardOf(told, wsdd.endpoint).length;
    await waitFor('three more rounds', () => markerProbes(marker) >= afterKill + 4, 15_000);
    assert.equal(heardOf(told, wsdd.endpoint).length, heardThen);
    assert.ok(!told.left.includes(wsdd.endpoint), 'a killed wsdd says no Bye');
  });

  test('every Probe goes out from the allowed interface address only', () => {
    const ours = watched.probes.filter((probe) => probe.types.some((type) => markers.has(type)));
    assert.ok(ours.length > 0);
    assert.deepEqual([...new Set(ours.map((probe) => probe.sender))], [WSD_TEST_ADDRESS]);
  });

  test('hostile datagrams never stop it; a flood of endpoints is held to maxEndpoints', async () => {
    const maxEndpoints = 8;
    const { discoverer, told } = await startDiscoverer(maxEndpoints, ['dn:NetworkVideoTransmitter']);
    started.discoverers.push(discoverer);
    const sender = createSocket('udp4');
    started.sockets.push(sender);
    await new Promise<void>((resolve) => sender.bind(0, WSD_TEST_ADDRESS, resolve));
    sender.setMulticastInterface(WSD_TEST_ADDRESS);
    const send = (datagram: string | Buffer) =>
      new Promise<void>((resolve) => sender.send(datagram, WSD_PORT, WSD_GROUP, () => resolve()));
    await send(Buffer.alloc(65_000, 0x3c));
    await send('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa">]><a>&a;</a>');
    await send(Buffer.from([0xff, 0x00, 0xfe]));
    for (let round = 0; round < 20; round++) await send(manyMatches(32, round * 32));
    await waitFor('the flood read', () =>
      told.heard.some((heard) => heard.id.startsWith('urn:uuid:00000000-0000-4000')),
    );
    const flooded = new Set(
      told.heard.map((heard) => heard.id).filter((id) => id.startsWith('urn:uuid:00000000-0000-4000')),
    );
    assert.ok(flooded.size <= maxEndpoints, `${flooded.size} endpoints of the flood heard`);

    const wsdd = startWsdd(randomUUID());
    started.wsdds.push(wsdd);
    await waitFor('wsdd heard once the flood went stale', () => heardOf(told, wsdd.endpoint).length > 0, 20_000);
    await wsdd.stop();
  });

  test('a host that keeps announcing made-up endpoints holds its share of the table, and wsdd still gets in', async () => {
    const maxEndpointsPerAddress = 4;
    const { discoverer, told } = await startDiscoverer(16, ['dn:NetworkVideoTransmitter'], {
      maxEndpointsPerAddress,
      onLink: [WSD_TEST_ADDRESS, '127.0.0.1'],
    });
    started.discoverers.push(discoverer);
    const flooder = createSocket('udp4');
    started.sockets.push(flooder);
    await new Promise<void>((resolve) => flooder.bind(0, '127.0.0.1', resolve));
    flooder.setMulticastInterface('127.0.0.1');
    // The same 64 endpoints again and again, each time a new message: all of them stay fresh,
    // four times what the whole table holds.
    let round = 0;
    const flood = () => {
      round++;
      for (const first of [0, 32])
        flooder.send(manyMatches(32, first, `urn:uuid:flood-${round}-${first}`), WSD_PORT, WSD_GROUP);
    };
    flood();
    const flooding = setInterval(flood, 200);
    try {
      const fromFlood = () =>
        new Set(told.heard.map((heard) => heard.id).filter((id) => id.startsWith('urn:uuid:00000000-0000-4000')));
      // Its share taken (all of the table, were there no share) before wsdd says anything.
      await waitFor('the flood read', () => fromFlood().size >= maxEndpointsPerAddress);
      const wsdd = startWsdd(randomUUID());
      started.wsdds.push(wsdd);
      await waitFor('wsdd heard while the flood goes on', () => heardOf(told, wsdd.endpoint).length > 0, 20_000);
      assert.ok(fromFlood().size <= maxEndpointsPerAddress, `${fromFlood().size} endpoints of the flood heard`);
      await wsdd.stop();
    } finally {
      clearInterval(flooding);
    }
  });
});
