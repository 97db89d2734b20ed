import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDeviceDescription } from '../../engine/sources/network/ssdp-description.js';
import { fetchableLocation } from '../../engine/sources/network/ssdp-location.js';
import {
  DEFAULT_MAX_AGE_S,
  MAX_MAX_AGE_S,
  maxAgeSeconds,
  parseSsdpMessage,
  udnOfUsn,
} from '../../engine/sources/network/ssdp-message.js';

const datagram = (text: string) => Buffer.from(text.replaceAll('\n', '\r\n'), 'latin1');

const NOTIFY = `NOTIFY * HTTP/1.1
Host: 239.255.255.250:1900
Cache-Control: max-age=120
Location: http://192.168.1.20:49152/description.xml
Server: Linux/6.1 UPnP/1.0 GUPnP/1.6.6
NT: urn:schemas-upnp-org:device:MediaRenderer:1
NTS: ssdp:alive
USN: uuid:4d696e69-444c-164e-9d41-b827eb54e6bd::urn:schemas-upnp-org:device:MediaRenderer:1

`;

test('a NOTIFY: kind, headers by lower-case name, UDN of the USN, max-age', () => {
  const message = parseSsdpMessage(datagram(NOTIFY))!;
  assert.equal(message.kind, 'notify');
  assert.equal(message.headers.get('nts'), 'ssdp:alive');
  assert.equal(message.headers.get('location'), 'http://192.168.1.20:49152/description.xml');
  assert.equal(udnOfUsn(message.headers.get('usn')), 'uuid:4d696e69-444c-164e-9d41-b827eb54e6bd');
  assert.equal(maxAgeSeconds(message.headers.get('cache-control')), 120);
});

test('a search reply, bare-LF lines, and a search are told apart; other text is not SSDP', () => {
  assert.equal(
    parseSsdpMessage(Buffer.from('HTTP/1.1 200 OK\nST: upnp:rootdevice\nUSN: uuid:a\n\n'))?.kind,
    'response',
  );
  assert.equal(parseSsdpMessage(datagram('M-SEARCH * HTTP/1.1\nST: ssdp:all\n\n'))?.kind, 'search');
  for (const text of ['', 'GET / HTTP/1.1\n\n', 'HTTP/1.1 404 Not Found\n\n', '\u0000\u00ff\u0001', 'NOTIFY'])
    assert.equal(parseSsdpMessage(Buffer.from(text, 'latin1')), undefined, JSON.stringify(text));
});

test('hostile datagrams are dropped or bounded, never thrown on', () => {
  assert.equal(parseSsdpMessage(Buffer.alloc(65000, 'A')), undefined, 'oversized');
  assert.equal(parseSsdpMessage(datagram(`NOTIFY * HTTP/1.1\nUSN: uuid:${'x'.repeat(2000)}\n\n`)), undefined);
  const manyHeaders = `NOTIFY * HTTP/1.1\n${'X-A: 1\n'.repeat(1000)}USN: uuid:late\n\n`;
  assert.equal(
    parseSsdpMessage(datagram(manyHeaders))?.headers.has('usn'),
    false,
    'headers after the 64th are not read',
  );
  const odd = parseSsdpMessage(datagram('NOTIFY * HTTP/1.1\n: no name\nno colon\nNT:\nNT: second\n\n'))!;
  assert.equal(odd.headers.get('nt'), '', 'the first of a repeated header is kept');
  for (let seed = 0; seed < 2000; seed++) {
    const bytes = Buffer.from(NOTIFY, 'latin1');
    for (let flip = 0; flip < 8; flip++)
      bytes[(seed * 7919 + flip * 104729) % bytes.length] = (seed * 31 + flip) & 0xff;
    parseSsdpMessage(bytes);
  }
});

test('max-age: clamped to a day, a default when absent or unreadable', () => {
  assert.equal(maxAgeSeconds('no-cache="Ext", max-age = 5000'), 5000);
  assert.equal(maxAgeSeconds('max-age=999999999'), MAX_MAX_AGE_S);
  assert.equal(maxAgeSeconds('max-age=0'), 1);
  for (const value of [undefined, '', 'max-age=-5', 'max-age=abc', 'smax-age=10'])
    assert.equal(maxAgeSeconds(value), DEFAULT_MAX_AGE_S, String(value));
});

test('a USN without a uuid names no device', () => {
  assert.equal(udnOfUsn('urn:schemas-upnp-org:device:Basic:1'), undefined);
  assert.equal(udnOfUsn(undefined), undefined);
  assert.equal(udnOfUsn('uuid:abc::upnp:rootdevice'), 'uuid:abc');
});

const DESCRIPTION = `<?xml version="1.0"?>
<!DOCTYPE root [<!ENTITY boom "&boom;&boom;&boom;">]>
<root xmlns="urn:schemas-upnp-org:device-1-0">
 <specVersion><major>1</major><minor>0</minor></specVersion>
 <device>
  <deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType>
  <friendlyName>Living Room &amp; Kitchen &#x263A; &boom;</friendlyName>
  <manufacturer><![CDATA[Acme <Audio>]]></manufacturer>
  <modelName>
     Streamer   One
  </modelName>
  <UDN>uuid:root-1</UDN>
  <deviceList>
   <device>
    <deviceType>urn:schemas-upnp-org:device:Embedded:1</deviceType>
    <friendlyName>Inner</friendlyName>
    <UDN>uuid:inner-2</UDN>
   </device>
  </deviceList>
  <serialNumber>after-the-list</serialNumber>
 </device>
</root>`;

test('a description: the root device, entities and CDATA read, a DTD entity left as written', () => {
  const { device, root } = parseDeviceDescription(DESCRIPTION)!;
  assert.equal(root, true);
  assert.deepEqual(device, {
    deviceType: 'urn:schemas-upnp-org:device:MediaRenderer:1',
    friendlyName: 'Living Room & Kitchen \u263a &boom;',
    manufacturer: 'Acme <Audio>',
    modelName: 'Streamer One',
    modelNumber: null,
    serialNumber: null,
    UDN: 'uuid:root-1',
  });
});

test('a description: the embedded device a UDN names, not the root', () => {
  const { device, root } = parseDeviceDescription(DESCRIPTION, 'uuid:INNER-2')!;
  assert.equal(root, false);
  assert.equal(device.friendlyName, 'Inner');
  assert.equal(device.manufacturer, null, 'the root device fields are not the embedded one');
});

test('hostile descriptions: nothing, broken, huge fields, prefixed tags, thousands of devices', () => {
  assert.equal(parseDeviceDescription(''), undefined);
  assert.equal(parseDeviceDescription('<html>hello</html>'), undefined);
  assert.equal(parseDeviceDescription('<device><friendlyName>cut off')!.device.friendlyName, 'cut off');
  const long = parseDeviceDescription(`<device><modelName>${'m'.repeat(60000)}</modelName></device>`)!;
  assert.equal(long.device.modelName!.length, 256);
  const prefixed = parseDeviceDescription('<u:device a="1"><u:manufacturer x="y">Acme</u:manufacturer></u:device>')!;
  assert.equal(prefixed.device.manufacturer, 'Acme');
  const many = parseDeviceDescription(`${'<device><UDN>uuid:x</UDN>'.repeat(5000)}`, 'uuid:none')!;
  assert.equal(many.device.UDN, 'uuid:x');
  const nested = parseDeviceDescription('<device><friendlyName><b>bold</b></friendlyName></device>')!;
  assert.equal(nested.device.friendlyName, null, 'markup inside a field is not a value');
  const started = Date.now();
  parseDeviceDescription(`<device>${'<'.repeat(30000)}${'<device '.repeat(4000)}`);
  parseDeviceDescription(`<device>${'<aaaaaaaa'.repeat(7000)}`);
  assert.ok(Date.now() - started < 5000, 'linear scans on 64 KiB of hostile text');
});

test('LOCATION: only plain http on the very address the announcement came from', () => {
  const sender = '192.168.1.20';
  assert.equal(
    String(fetchableLocation('http://192.168.1.20:49152/desc.xml', sender)),
    'http://192.168.1.20:49152/desc.xml',
  );
  // Each refused for its own reason: a URL refused for the wrong one would pass a type check.
  for (const [location, reason] of [
    [undefined, /has no LOCATION/],
    ['not a url', /is not a URL/],
    ['https://192.168.1.20/desc.xml', /is https: \(only http: is fetched\)/],
    ['file:///etc/passwd', /is file:/],
    ['http://192.168.1.21/desc.xml', /names 192\.168\.1\.21, not 192\.168\.1\.20/],
    ['http://127.0.0.1:8080/admin', /names 127\.0\.0\.1/],
    ['http://router.local/desc.xml', /names router\.local/],
    ['http://user:pw@192.168.1.20/desc.xml', /carries credentials/],
    ['http://[::1]/desc.xml', /names \[::1\]/],
  ] as const)
    assert.match(String(fetchableLocation(location, sender)), reason, String(location));
});
