/*
 * WS-Discovery messages read from real bytes: the samples a camera, a printer and wsdd send, and
 * what a hostile sender might: entities, a DOCTYPE, unclosed or mismatched tags, depth, size,
 * floods of matches. Nothing throws; what cannot be read is undefined; what is read is bounded.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { probeTypes, typesWanted, wsdMismatch } from '../../engine/sources/network/wsd-detect.js';
import { endpointAnnouncement, EndpointMemory, onvifScopes } from '../../engine/sources/network/wsd-endpoints.js';
import { MESSAGE_LIMITS, parseDiscoveryMessage, probeMessage } from '../../engine/sources/network/wsd-messages.js';
import { readXml, XML_LIMITS } from '../../engine/sources/network/wsd-xml.js';
import {
  manyMatches,
  ONVIF_BYE,
  ONVIF_PROBE_MATCHES,
  PRINTER_HELLO,
  WSDD_HELLO,
  WSDD_PROBE_MATCH,
} from './wsd-samples.js';

describe('WS-Discovery messages', () => {
  test("an ONVIF camera's ProbeMatches: types named by namespace, scopes, XAddrs, lowercase endpoint", () => {
    const message = parseDiscoveryMessage(Buffer.from(ONVIF_PROBE_MATCHES));
    assert.deepEqual(message, {
      kind: 'matches',
      messageId: 'uuid:0c4a7a6e-1dd2-11b2-a105-ACCC8E0B53A1',
      instanceId: '1',
      endpoints: [
        {
          address: 'urn:uuid:00075f74-b3c1-11e0-9ae1-accc8e0b53a1',
          types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
          scopes: [
            'onvif://www.onvif.org/type/video_encoder',
            'onvif://www.onvif.org/Profile/Streaming',
            'onvif://www.onvif.org/hardware/P1343',
            'onvif://www.onvif.org/name/AXIS%20P1343',
            'onvif://www.onvif.org/location/country/switzerland',
          ],
          xaddrs: ['http://192.168.1.64/onvif/device_service', 'http://[fe80::40:8cff:fe0b:53a1]/onvif/device_service'],
          metadataVersion: 1,
        },
      ],
    });
  });

  test('a WS-Discovery 1.1 Hello with its own prefixes names the types the same way', () => {
    const message = parseDiscoveryMessage(PRINTER_HELLO)!;
    assert.equal(message.kind, 'hello');
    assert.deepEqual(message.endpoints[0]!.types, ['wsdp:Device', 'wprt:PrintDeviceType']);
    assert.equal(message.endpoints[0]!.metadataVersion, 3);
  });

  test('a Bye names the endpoint as its ProbeMatch did', () => {
    const bye = parseDiscoveryMessage(ONVIF_BYE)!;
    const match = parseDiscoveryMessage(ONVIF_PROBE_MATCHES)!;
    assert.equal(bye.kind, 'bye');
    assert.equal(bye.endpoints[0]!.address, match.endpoints[0]!.address);
  });

  test('a type in an undeclared namespace keeps its written name; one in an unknown namespace is {uri}Name', () => {
    const written = ONVIF_PROBE_MATCHES.replace('tdn:NetworkVideoTransmitter tds:Device', 'x:Thing {y}Other')
      .replace('xmlns:tds=', 'xmlns:q="urn:example:sensors" xmlns:tds=')
      .replace('{y}Other', 'q:Sensor');
    assert.deepEqual(parseDiscoveryMessage(written)!.endpoints[0]!.types, ['x:Thing', '{urn:example:sensors}Sensor']);
  });

  test('entities: the predefined ones and character references are decoded, a DOCTYPE rejects the message', () => {
    const escaped = ONVIF_PROBE_MATCHES.replace('name/AXIS%20P1343', 'name/A&amp;B&#x20;&#67;&unknown;');
    assert.ok(parseDiscoveryMessage(escaped)!.endpoints[0]!.scopes!.includes('onvif://www.onvif.org/name/A&B'));
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
      ONVIF_PROBE_MATCHES.replace(/^<\?xml[^>]*>/, '').replace('AXIS%20P1343', '&lol2;');
    assert.equal(parseDiscoveryMessage(laughs), undefined);
  });

  test('malformed XML is undefined, never an exception', () => {
    const cases = [
      '',
      'not xml at all',
      '\u0000\u0001\u00ff<<<>>>',
      ONVIF_PROBE_MATCHES.slice(0, ONVIF_PROBE_MATCHES.length / 2),
      ONVIF_PROBE_MATCHES.replace('</d:Types>', '</d:Typo>'),
      ONVIF_PROBE_MATCHES.replace('<d:Types>', '<d:Types attr=>'),
      ONVIF_PROBE_MATCHES + '<second/>',
      '<a><!-- never closed </a>',
      '<a><![CDATA[ never closed </a>',
      ONVIF_PROBE_MATCHES.replace(/<wsa:EndpointReference>[\s\S]*?<\/wsa:EndpointReference>/, ''),
      '<s:Envelope xmlns:s="x"><s:Body><Unknown/></s:Body></s:Envelope>',
    ];
    for (const text of cases) {
      assert.equal(parseDiscoveryMessage(Buffer.from(text)), undefined, JSON.stringify(text.slice(0, 80)));
    }
    assert.equal(parseDiscoveryMessage(Buffer.from([0xff, 0xfe, 0x00, 0x3c, 0xc3])), undefined);
  });

  test('size, depth and element count are bounded', () => {
    assert.equal(readXml(`<a>${'x'.repeat(XML_LIMITS.maxChars)}</a>`), undefined);
    const deep = `${'<a>'.repeat(XML_LIMITS.maxDepth + 1)}${'</a>'.repeat(XML_LIMITS.maxDepth + 1)}`;
    assert.equal(readXml(deep), undefined);
    assert.ok(readXml(`${'<a>'.repeat(XML_LIMITS.maxDepth)}${'</a>'.repeat(XML_LIMITS.maxDepth)}`));
    assert.equal(readXml(`<a>${'<b/>'.repeat(XML_LIMITS.maxElements)}</a>`), undefined);
  });

  test('a message with many matches keeps the first few; long lists and items are cut', () => {
    const flood = parseDiscoveryMessage(manyMatches(200))!;
    assert.equal(flood.endpoints.length, MESSAGE_LIMITS.endpoints);
    const scopes = Array.from({ length: 100 }, (_, index) => `s${index}`).join(' ') + ' ' + 'z'.repeat(600);
    const long = parseDiscoveryMessage(
      ONVIF_PROBE_MATCHES.replace(/<d:Scopes>[\s\S]*?<\/d:Scopes>/, `<d:Scopes>${scopes}</d:Scopes>`),
    )!;
    assert.equal(long.endpoints[0]!.scopes!.length, MESSAGE_LIMITS.listItems);
    assert.ok(long.endpoints[0]!.scopes!.every((scope) => scope.length <= MESSAGE_LIMITS.itemChars));
  });

  test('hostile messages of the largest size are read to undefined (each in one linear pass)', () => {
    const attributeHeavy = `<a x="${'>'.repeat(XML_LIMITS.maxChars - 20)}`;
    const openTags = '<a'.repeat(XML_LIMITS.maxChars / 2 - 1);
    const manyAttributes = `<a${' b="1"'.repeat(10_000)}/>`;
    for (const text of [
      attributeHeavy,
      openTags,
      manyAttributes,
      '<'.repeat(XML_LIMITS.maxChars),
      '&amp;'.repeat(13_000),
    ]) {
      assert.equal(parseDiscoveryMessage(text), undefined);
    }
  });

  test('the Probe the engine sends is read back with its types, prefixes as wsdd expects', () => {
    const probe = probeMessage('urn:uuid:1', ['wsdp:Device', '{urn:example}Sensor']);
    assert.match(probe, />wsdp:Device t1:Sensor</);
    const root = readXml(probe)!;
    const types = root.children[1]!.children[0]!.children[0]!;
    assert.equal(types.name, 'Types');
    assert.doesNotMatch(probeMessage('urn:uuid:2', []), /Types/);
  });
});

describe('WS-Discovery endpoints', () => {
  test('Hello and ProbeMatch complete each other: XAddrs from one, types from the other', () => {
    const memory = new EndpointMemory(4, 90_000);
    memory.learn(parseDiscoveryMessage(WSDD_HELLO)!.endpoints[0]!, '192.0.2.1', 0);
    const known = memory.learn(parseDiscoveryMessage(WSDD_PROBE_MATCH)!.endpoints[0]!, '192.0.2.1', 10)!;
    assert.deepEqual(endpointAnnouncement(known, 90_000), {
      protocol: 'wsd',
      id: 'urn:uuid:11111111-2222-3333-4444-555555555555',
      addresses: ['192.0.2.1'],
      port: 5357,
      facts: {
        endpoint: 'urn:uuid:11111111-2222-3333-4444-555555555555',
        uuid: '11111111-2222-3333-4444-555555555555',
        types: ['wsdp:Device', 'pub:Computer'],
        scopes: [],
        xaddrs: ['http://192.0.2.1:5357/11111111-2222-3333-4444-555555555555'],
        metadataVersion: 1,
        onvif: null,
      },
      freshMs: 90_000,
    });
  });

  test('addresses: IPv4 first, from XAddrs and the sender; a host name is the host', () => {
    const camera = new EndpointMemory(4, 1).learn(
      parseDiscoveryMessage(ONVIF_PROBE_MATCHES)!.endpoints[0]!,
      '10.0.0.9',
      0,
    )!;
    assert.deepEqual(endpointAnnouncement(camera, 1).addresses, [
      '192.168.1.64',
      '10.0.0.9',
      'fe80::40:8cff:fe0b:53a1',
    ]);
    const printer = new EndpointMemory(4, 1).learn(parseDiscoveryMessage(PRINTER_HELLO)!.endpoints[0]!, '10.0.0.7', 0)!;
    const announcement = endpointAnnouncement(printer, 1);
    assert.equal(announcement.host, 'printer-office.local');
    assert.deepEqual(announcement.addresses, ['10.0.0.7']);
  });

  test("an ONVIF camera's name, hardware and profiles from its scopes, percent-decoded", () => {
    const camera = new EndpointMemory(4, 1).learn(
      parseDiscoveryMessage(ONVIF_PROBE_MATCHES)!.endpoints[0]!,
      '10.0.0.9',
      0,
    )!;
    assert.deepEqual(endpointAnnouncement(camera, 1).facts.onvif, {
      name: 'AXIS P1343',
      hardware: 'P1343',
      profiles: ['Streaming'],
    });
    assert.deepEqual(onvifScopes(['onvif://www.onvif.org/name/bad%zz']), {
      name: 'bad%zz',
      hardware: null,
      profiles: [],
    });
  });

  test('memory is bounded: stale and unreported endpoints make room, fresh reported ones do not', () => {
    const memory = new EndpointMemory(2, 1_000);
    const news = (index: number) => ({ address: `urn:uuid:${index}` });
    memory.learn(news(1), 'a', 0)!.reported = true;
    memory.learn(news(2), 'a', 0)!.reported = true;
    assert.equal(memory.learn(news(3), 'a', 500), undefined);
    assert.ok(memory.learn(news(3), 'a', 2_000), 'the stale ones went');
    memory.learn(news(4), 'a', 2_000);
    assert.ok(memory.learn(news(5), 'a', 2_000), 'the unreported one made room');
    assert.equal(memory.size, 2);
  });

  test('one sender cannot fill the memory: beyond its share its new endpoints wait, other senders still get in', () => {
    const memory = new EndpointMemory(8, 1_000, 3);
    const news = (index: number) => ({ address: `urn:uuid:${index}` });
    for (let index = 0; index < 3; index++) memory.learn(news(index), 'flooder', 0)!.reported = true;
    for (let index = 3; index < 100; index++) assert.equal(memory.learn(news(index), 'flooder', 10), undefined);
    assert.equal(memory.fromSender('flooder'), 3);
    assert.ok(memory.learn(news(1000), 'camera', 10), 'another sender is not kept out');
    assert.ok(memory.learn(news(0), 'flooder', 20), 'an endpoint already known is still heard');
    // The sender's own unreported endpoint makes room for its next one, not another sender's.
    memory.learn(news(2000), 'printer', 20);
    memory.forget(news(1).address);
    memory.learn(news(5), 'flooder', 30)!.reported = true;
    assert.equal(memory.learn(news(6), 'flooder', 30), undefined, 'its reported ones are fresh');
    memory.forget(news(2).address);
    memory.learn(news(7), 'flooder', 40);
    assert.ok(memory.learn(news(8), 'flooder', 40), 'its unreported one made room');
    assert.equal(memory.fromSender('flooder'), 3);
    assert.ok(memory.learn(news(2001), 'printer', 40), 'the printer kept its place and can add more');
    assert.equal(memory.fromSender('printer'), 2);
    // A Bye frees the sender's slot; an endpoint heard from a new address counts there.
    memory.forget(news(0).address);
    assert.equal(memory.fromSender('flooder'), 2);
    memory.learn(news(1000), 'camera-new-address', 50);
    assert.equal(memory.fromSender('camera'), 0);
    assert.equal(memory.fromSender('camera-new-address'), 1);
  });
});

describe('WS-Discovery detect block', () => {
  const camera = {
    types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
    scopes: ['onvif://www.onvif.org/name/AXIS%20P1343'],
  };

  test('types must all be announced; scope globs must each match a scope, case-insensitive', () => {
    assert.equal(
      wsdMismatch({ types: ['dn:NetworkVideoTransmitter'], scopes: ['ONVIF://www.onvif.org/name/*'] }, camera),
      undefined,
    );
    assert.match(
      wsdMismatch({ types: ['dn:NetworkVideoTransmitter', 'wprt:PrintDeviceType'] }, camera)!,
      /^network.wsd.types lacks wprt:PrintDeviceType/,
    );
    assert.match(
      wsdMismatch({ scopes: ['onvif://www.onvif.org/hardware/*'] }, camera)!,
      /^network.wsd.scopes: none matches/,
    );
    assert.match(wsdMismatch({ types: ['pub:Computer'] }, {})!, /announces none/);
  });

  test('one Probe per type the blocks name, and one for any type when a block names none', () => {
    const blocks = [{ types: ['wsdp:Device', 'pub:Computer'] }, { types: ['wsdp:Device'] }];
    assert.deepEqual(probeTypes(blocks, 16), [['wsdp:Device'], ['pub:Computer']]);
    assert.deepEqual(probeTypes([...blocks, {}], 1), [[], ['wsdp:Device']]);
    assert.ok(typesWanted(blocks, ['wsdp:Device']));
    assert.ok(!typesWanted([{ types: ['dn:NetworkVideoTransmitter'] }], ['wsdp:Device']));
  });
});
