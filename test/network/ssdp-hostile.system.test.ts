// The SSDP protocol against announcers played by the test in its namespace: a well-behaved
// device that leaves with byebye, and hostile ones (a LOCATION that hangs, one that answers
// 100 MB, one pointing at another host, a flood of made-up USNs, malformed and huge datagrams).
// Through all of it the well-behaved device is heard and left as it should be.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { waitFor } from '../daemon/engine-process.js';
import { outsideTestNetns } from './netns.js';
import { listenSsdp } from './ssdp-listener.js';

const TYPE = 'urn:example-com:device:Thing:1';
const servers: http.Server[] = [];
const sockets: dgram.Socket[] = [];
after(() => {
  for (const server of servers) server.closeAllConnections();
  for (const server of servers) server.close();
  for (const socket of sockets) socket.close();
});

async function serve(address: string, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return `http://${address}:${(server.address() as AddressInfo).port}`;
}

async function announcer(address: string): Promise<(text: string) => Promise<void>> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  socket.setMulticastInterface(address);
  return (text) =>
    new Promise((resolve, reject) =>
      socket.send(Buffer.from(text, 'latin1'), 1900, '239.255.255.250', (error) => (error ? reject(error) : resolve())),
    );
}

const notify = (udn: string, location: string, nts = 'ssdp:alive') =>
  `NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=300\r\nLOCATION: ${location}\r\nNT: ${TYPE}\r\nNTS: ${nts}\r\nUSN: ${udn}::${TYPE}\r\n\r\n`;

const description = (name: string) =>
  `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device><deviceType>${TYPE}</deviceType><friendlyName>${name}</friendlyName><manufacturer>Example</manufacturer><UDN>uuid:good</UDN></device></root>`;

test(
  'hostile announcers and LOCATIONs are bounded; a good device is heard and leaves with byebye',
  { skip: outsideTestNetns },
  async () => {
    const listener = await listenSsdp([{ deviceType: TYPE }], { descriptionTimeoutMs: 1000 });
    after(() => listener.discoverer.stop());
    const good = await serve('127.0.0.1', (_request, response) => response.end(description('Scripted')));
    const hang = await serve('127.0.0.1', () => undefined);
    let hugeBytes = 0;
    const huge = await serve('127.0.0.1', (_request, response) => {
      const chunk = Buffer.alloc(65536, 'x');
      const more = () => {
        while (hugeBytes < 100 * 1024 * 1024 && !response.destroyed)
          if (((hugeBytes += chunk.length), !response.write(chunk))) return void response.once('drain', more);
        response.end();
      };
      response.writeHead(200, { 'content-type': 'text/xml' });
      more();
    });
    let elsewhereConnections = 0;
    const elsewhere = await serve('127.0.0.2', (_request, response) => {
      elsewhereConnections++;
      response.end(description('Elsewhere'));
    });
    const send = await announcer('127.0.0.1');
    const flooder = await announcer('127.0.0.3');

    await send(notify('uuid:hang', `${hang}/d.xml`));
    await send(notify('uuid:huge', `${huge}/d.xml`));
    await send(notify('uuid:elsewhere', `${elsewhere}/d.xml`));
    for (let index = 0; index < 3000; index++) await flooder(notify(`uuid:flood-${index}`, `${hang}/d.xml`));
    for (const junk of ['', 'NOTIFY * HTTP/1.1\r\nUSN: uuid:', '\u0000'.repeat(100), 'x'.repeat(60000)])
      await send(junk);
    // UDP drops what a flooded receive buffer cannot hold, so the good device announces again
    // until heard, as a real one does.
    const repeating = (text: string) => {
      let lastSent = 0;
      return async () => {
        if (Date.now() - lastSent > 300) {
          lastSent = Date.now();
          await send(text);
        }
      };
    };
    const announceGood = repeating(notify('uuid:good', `${good}/d.xml`));

    const heard = (id: string) =>
      listener.events.flatMap((entry) =>
        entry.event === 'heard' && entry.announcement.id === id ? [entry.announcement] : [],
      );
    await waitFor('the good device heard', async () => (await announceGood(), heard('uuid:good').length > 0), 20_000);
    assert.equal(heard('uuid:good')[0]!.facts.friendlyName, 'Scripted');
    await waitFor(
      'the hanging and huge LOCATIONs given up',
      () => heard('uuid:hang').length > 0 && heard('uuid:huge').length > 0,
      20_000,
    );
    for (const id of ['uuid:hang', 'uuid:huge', 'uuid:elsewhere']) {
      await waitFor(`${id} heard`, () => heard(id).length > 0, 20_000);
      const facts = heard(id)[0]!.facts;
      assert.equal(facts.friendlyName, null, `${id}: reported from its announcement alone`);
      assert.equal(facts.deviceType, TYPE);
    }
    assert.equal(elsewhereConnections, 0, 'a LOCATION on another host is never fetched');
    assert.ok(hugeBytes < 100 * 1024 * 1024, `read ${hugeBytes} bytes of 100 MB`);
    const givenUp = (udn: string) =>
      listener.logLines.find((line) => line.udn === udn && line.msg === 'SSDP: description unreadable')?.reason;
    assert.equal(givenUp('uuid:huge'), 'over 65536 bytes', 'cut off by its size, not its time');
    assert.equal(givenUp('uuid:hang'), 'no whole answer in 1000 ms');
    const flooded = new Set(
      listener.events.flatMap((entry) =>
        entry.event === 'heard' && entry.announcement.id.startsWith('uuid:flood-') ? [entry.announcement.id] : [],
      ),
    );
    assert.ok(flooded.size <= 32, `${flooded.size} flooded devices tracked from one address`);

    await send(notify('uuid:good', `${good}/d.xml`, 'ssdp:byebye'));
    await send(notify('uuid:good', `${good}/d.xml`, 'ssdp:byebye'));
    await waitFor('the good device left', () => listener.leftIds().includes('uuid:good'), 20_000);
    // A later datagram is heard, so the second byebye has been read too: left once only.
    await send(notify('uuid:hang', `${hang}/d.xml`));
    const before = heard('uuid:hang').length;
    await waitFor('a later announcement heard', () => heard('uuid:hang').length > before, 20_000);
    assert.deepEqual(listener.leftIds(), ['uuid:good']);
  },
);
