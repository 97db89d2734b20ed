// WS-Discovery messages as peripherals send them, written from the specifications (WS-Discovery
// 2005/04 as ONVIF's Core Specification uses it, WS-Discovery 1.1 as WSD printers send it): each
// sender chooses its own prefixes, and where it declares them.

/** An ONVIF camera's answer to a Probe for `dn:NetworkVideoTransmitter` (2005/04, ONVIF prefixes). */
export const ONVIF_PROBE_MATCHES = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
    xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"
    xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
    xmlns:tdn="http://www.onvif.org/ver10/network/wsdl"
    xmlns:tds="http://www.onvif.org/ver10/device/wsdl">
  <SOAP-ENV:Header>
    <wsa:MessageID>uuid:0c4a7a6e-1dd2-11b2-a105-ACCC8E0B53A1</wsa:MessageID>
    <wsa:RelatesTo>urn:uuid:6f2c6a8e-2f7e-4f43-9d0a-2d9b0f3a1c55</wsa:RelatesTo>
    <wsa:To SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>
    <wsa:Action SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>
    <d:AppSequence SOAP-ENV:mustUnderstand="true" MessageNumber="68" InstanceId="1"/>
  </SOAP-ENV:Header>
  <SOAP-ENV:Body>
    <d:ProbeMatches>
      <d:ProbeMatch>
        <wsa:EndpointReference>
          <wsa:Address>urn:uuid:00075F74-B3C1-11E0-9AE1-ACCC8E0B53A1</wsa:Address>
        </wsa:EndpointReference>
        <d:Types>tdn:NetworkVideoTransmitter tds:Device</d:Types>
        <d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming
          onvif://www.onvif.org/hardware/P1343 onvif://www.onvif.org/name/AXIS%20P1343
          onvif://www.onvif.org/location/country/switzerland</d:Scopes>
        <d:XAddrs>http://192.168.1.64/onvif/device_service http://[fe80::40:8cff:fe0b:53a1]/onvif/device_service</d:XAddrs>
        <d:MetadataVersion>1</d:MetadataVersion>
      </d:ProbeMatch>
    </d:ProbeMatches>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>`;

/** A WSD printer's Hello in WS-Discovery 1.1: other namespaces, types declared on the element itself. */
export const PRINTER_HELLO = `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"
  xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:wsd="http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01">
<soap:Header>
  <wsa:To>urn:docs-oasis-open-org:ws-dd:ns:discovery:2009:01</wsa:To>
  <wsa:Action>http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/Hello</wsa:Action>
  <wsa:MessageID>urn:uuid:9b1d1f24-4a0c-4c4e-8f6e-3f0a2b9c1d01</wsa:MessageID>
  <wsd:AppSequence InstanceId="1700000000" MessageNumber="1"></wsd:AppSequence>
</soap:Header>
<soap:Body>
  <wsd:Hello>
    <wsa:EndpointReference><wsa:Address>urn:uuid:16a65700-007c-1000-bb49-30CDA7B1F5E2</wsa:Address></wsa:EndpointReference>
    <wsd:Types xmlns:devprof="http://schemas.xmlsoap.org/ws/2006/02/devprof"
      xmlns:print="http://schemas.microsoft.com/windows/2006/08/wdp/print">devprof:Device print:PrintDeviceType</wsd:Types>
    <wsd:XAddrs>http://printer-office.local:5357/16a65700-007c-1000-bb49-30cda7b1f5e2</wsd:XAddrs>
    <wsd:MetadataVersion>3</wsd:MetadataVersion>
  </wsd:Hello>
</soap:Body>
</soap:Envelope>`;

/** The camera leaving. */
export const ONVIF_BYE = `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
  xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><s:Header>
<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Bye</a:Action>
<a:MessageID>urn:uuid:5e3c0b1a-8f1e-4b9e-b5d6-1c2a3b4c5d6e</a:MessageID>
<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>
<s:Body><d:Bye><a:EndpointReference><a:Address>urn:uuid:00075f74-b3c1-11e0-9ae1-accc8e0b53a1</a:Address></a:EndpointReference></d:Bye></s:Body>
</s:Envelope>`;

/** A host running wsdd answering a Probe for `wsdp:Device`: types, no XAddrs. */
export const WSDD_PROBE_MATCH = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof" xmlns:pub="http://schemas.microsoft.com/windows/pub/2005/07"><soap:Header><wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To><wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action><wsa:MessageID>urn:uuid:8037fa8c-f136-11f1-b009-21e2cd62070b</wsa:MessageID><wsd:AppSequence InstanceId="17" SequenceId="urn:uuid:8037fc94-f136-11f1-b009-21e2cd62070b" MessageNumber="1" /></soap:Header><soap:Body><wsd:ProbeMatches><wsd:ProbeMatch><wsa:EndpointReference><wsa:Address>urn:uuid:11111111-2222-3333-4444-555555555555</wsa:Address></wsa:EndpointReference><wsd:Types>wsdp:Device pub:Computer</wsd:Types><wsd:MetadataVersion>1</wsd:MetadataVersion></wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>`;

/** The same host's Hello: XAddrs, no types. */
export const WSDD_HELLO = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery"><soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To><wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</wsa:Action><wsa:MessageID>urn:uuid:7f9ee8f6-f136-11f1-b009-21e2cd62070b</wsa:MessageID></soap:Header><soap:Body><wsd:Hello><wsa:EndpointReference><wsa:Address>urn:uuid:11111111-2222-3333-4444-555555555555</wsa:Address></wsa:EndpointReference><wsd:XAddrs>http://192.0.2.1:5357/11111111-2222-3333-4444-555555555555</wsd:XAddrs><wsd:MetadataVersion>1</wsd:MetadataVersion></wsd:Hello></soap:Body></soap:Envelope>`;

/** A ProbeMatches envelope holding `count` matches, each its own endpoint (a flood in one message). */
export function manyMatches(count: number, firstIndex = 0, messageId = `urn:uuid:flood-${firstIndex}`): string {
  const items = Array.from(
    { length: count },
    (_, index) =>
      `<d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:00000000-0000-4000-8000-${String(firstIndex + index).padStart(12, '0')}</a:Address></a:EndpointReference><d:Types xmlns:dn="http://www.onvif.org/ver10/network/wsdl">dn:NetworkVideoTransmitter</d:Types></d:ProbeMatch>`,
  ).join('');
  return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><s:Header><a:MessageID>${messageId}</a:MessageID></s:Header><s:Body><d:ProbeMatches>${items}</d:ProbeMatches></s:Body></s:Envelope>`;
}
