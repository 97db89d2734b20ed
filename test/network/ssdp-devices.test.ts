import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Announcement } from '../../engine/sources/network/discovery.js';
import { ssdpMismatch, searchTargets } from '../../engine/sources/network/ssdp-detect.js';
import type { DescribeResult } from '../../engine/sources/network/ssdp-devices.js';
import { SsdpDeviceTable } from '../../engine/sources/network/ssdp-devices.js';
import { parseSsdpMessage } from '../../engine/sources/network/ssdp-message.js';

const RENDERER = 'urn:schemas-upnp-org:device:MediaRenderer:1';

function notify(udn: string, nt: string, nts = 'ssdp:alive', extra = '') {
  const usn = nt.startsWith('uuid:') ? udn : `${udn}::${nt}`;
  const text = `NOTIFY * HTTP/1.1\r\nCACHE-CONTROL: max-age=60\r\nLOCATION: http://10.0.0.5/d.xml\r\nNT: ${nt}\r\nNTS: ${nts}\r\nUSN: ${usn}\r\n${extra}\r\n`;
  return parseSsdpMessage(Buffer.from(text))!;
}

/** A table whose descriptions are answered by hand, recording what it tells the source. */
function harness(limits = { maxDevices: 4, maxDevicesPerAddress: 2, maxFreshSeconds: 1800 }) {
  const events: Array<['heard', Announcement] | ['left', string]> = [];
  const pending: Array<(result: DescribeResult) => void> = [];
  let fulls = 0;
  const table = new SsdpDeviceTable(
    {
      heard: (announcement) => events.push(['heard', announcement]),
      left: (_protocol, id) => events.push(['left', id]),
    },
    limits,
    () => new Promise((resolve) => pending.push(resolve)),
    () => fulls++,
  );
  table.setTargets(searchTargets([{ deviceType: RENDERER }, { manufacturer: 'Acme*' }]));
  return { table, events, pending, fulls: () => fulls };
}

const described: DescribeResult = {
  root: true,
  device: {
    deviceType: RENDERER,
    friendlyName: 'Hall',
    manufacturer: 'Acme',
    modelName: 'M1',
    modelNumber: '1',
    serialNumber: 'S1',
    UDN: 'uuid:a',
  },
};

test('a device is heard once its description is read, with its facts, fresh for its max-age', async () => {
  const { table, events, pending } = harness();
  table.receive(notify('uuid:a', 'upnp:rootdevice'), '10.0.0.5', Date.now());
  table.receive(notify('uuid:a', RENDERER), '10.0.0.5', Date.now());
  assert.equal(events.length, 0, 'not before the description');
  pending.shift()!(described);
  await new Promise((resolve) => setImmediate(resolve));
  const [kind, announcement] = events.at(-1)! as ['heard', Announcement];
  assert.equal(kind, 'heard');
  assert.equal(announcement.id, 'uuid:a');
  assert.deepEqual(announcement.addresses, ['10.0.0.5']);
  assert.deepEqual(announcement.facts, {
    udn: 'uuid:a',
    deviceType: RENDERER,
    friendlyName: 'Hall',
    manufacturer: 'Acme',
    modelName: 'M1',
    modelNumber: '1',
    serialNumber: 'S1',
    rootDevice: true,
    types: ['upnp:rootdevice', RENDERER],
    location: 'http://10.0.0.5/d.xml',
    server: null,
  });
  assert.ok(announcement.freshMs <= 60_000 && announcement.freshMs > 0);
  assert.equal(pending.length, 0, 'one fetch for one LOCATION');
  table.receive(notify('uuid:a', RENDERER), '10.0.0.5', Date.now());
  assert.equal(events.length, 2, 'heard again at once without another fetch');
  assert.equal(pending.length, 0);
});

test('byebye: left once, and nothing for a device never tracked', () => {
  const { table, events } = harness();
  table.receive(notify('uuid:a', 'upnp:rootdevice'), '10.0.0.5', 1000);
  table.receive(notify('uuid:a', 'upnp:rootdevice', 'ssdp:byebye'), '10.0.0.5', 1000);
  table.receive(notify('uuid:a', RENDERER, 'ssdp:byebye'), '10.0.0.5', 1000);
  table.receive(notify('uuid:zz', RENDERER, 'ssdp:byebye'), '10.0.0.5', 1000);
  assert.deepEqual(events, [['left', 'uuid:a']]);
});

test('a UDN spelt in two cases is one device: heard under its first spelling, one fetch, left once', async () => {
  const { table, events, pending } = harness();
  table.receive(notify('uuid:4D454930-AB', 'upnp:rootdevice'), '10.0.0.5', Date.now());
  table.receive(notify('uuid:4d454930-ab', RENDERER), '10.0.0.5', Date.now());
  table.receive(notify('UUID:4d454930-AB', RENDERER), '10.0.0.5', Date.now());
  assert.equal(table.size, 1);
  assert.equal(pending.length, 1, 'one description fetch');
  pending.shift()!({ ...described, device: { ...described.device, UDN: 'uuid:4d454930-ab' } });
  await new Promise((resolve) => setImmediate(resolve));
  table.receive(notify('uuid:4d454930-ab', RENDERER), '10.0.0.5', Date.now());
  table.receive(notify('uuid:4D454930-ab', RENDERER, 'ssdp:byebye'), '10.0.0.5', Date.now());
  table.receive(notify('uuid:4d454930-ab', RENDERER, 'ssdp:byebye'), '10.0.0.5', Date.now());
  const ids = events.map(([kind, what]) => `${kind} ${kind === 'heard' ? what.id : what}`);
  assert.deepEqual(ids, ['heard uuid:4D454930-AB', 'heard uuid:4D454930-AB', 'left uuid:4D454930-AB']);
  assert.equal((events[0]![1] as Announcement).facts.udn, 'uuid:4D454930-AB');
  assert.equal(table.size, 0);
});

test('types no block searches for are not tracked', () => {
  const { table } = harness();
  table.receive(notify('uuid:p', 'urn:schemas-upnp-org:device:Printer:1'), '10.0.0.5', 1000);
  assert.equal(table.size, 0);
});

test('a flood of made-up USNs: bounded overall and per sender, stale ones make room', () => {
  const { table, fulls } = harness();
  for (let index = 0; index < 1000; index++) table.receive(notify(`uuid:f${index}`, RENDERER), '10.0.0.66', 1000);
  assert.equal(table.size, 2, 'per sender');
  for (let index = 0; index < 1000; index++)
    table.receive(notify(`uuid:g${index}`, RENDERER), `10.0.1.${index % 250}`, 1000);
  assert.equal(table.size, 4, 'overall');
  assert.ok(fulls() > 1900);
  table.receive(notify('uuid:late', RENDERER), '10.0.0.5', 1000 + 61_000);
  assert.equal(table.size, 1, 'the stale ones went and the new one came');
});

test('the block: deviceType at its version or later, st among the types, globs, root devices only without a type', () => {
  const facts = {
    deviceType: 'urn:schemas-upnp-org:device:MediaRenderer:2',
    manufacturer: 'Acme Corp',
    rootDevice: true,
    types: ['urn:schemas-upnp-org:service:AVTransport:1'],
  };
  assert.equal(ssdpMismatch({ deviceType: RENDERER, manufacturer: 'acme*' }, facts), undefined);
  assert.match(ssdpMismatch({ deviceType: 'urn:schemas-upnp-org:device:MediaRenderer:3' }, facts)!, /deviceType/);
  assert.equal(ssdpMismatch({ st: 'urn:schemas-upnp-org:service:AVTransport:1' }, facts), undefined);
  assert.match(ssdpMismatch({ st: 'urn:schemas-upnp-org:service:RenderingControl:1' }, facts)!, /types/);
  assert.match(ssdpMismatch({ friendlyName: '*' }, facts)!, /friendlyName is null/);
  assert.match(ssdpMismatch({ manufacturer: 'Acme*' }, { ...facts, rootDevice: false })!, /embedded/);
  assert.deepEqual(searchTargets([{ st: 'a' }, { deviceType: 'b' }, { modelName: 'x' }]), [
    'a',
    'b',
    'upnp:rootdevice',
  ]);
});
