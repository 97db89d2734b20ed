// The SSDP protocol against a real UPnP device (gupnp-network-light) in the test namespace:
// heard with its description's facts; killed (SIGKILL, no byebye), never heard again, so the
// network source lets it go stale after max-age.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { waitFor } from '../daemon/engine-process.js';
import { outsideTestNetns } from './netns.js';
import { listenSsdp, type SsdpListener } from './ssdp-listener.js';
import { LIGHT_FACTS, startUpnpLight, upnpLightMissing, type UpnpLight } from './upnp-light.js';

const skip = outsideTestNetns || upnpLightMissing;
const lights: UpnpLight[] = [];
let listener: SsdpListener | undefined;
after(async () => {
  for (const light of lights) light.dispose();
  await listener?.discoverer.stop();
});

async function light(name: string): Promise<UpnpLight> {
  const started = await startUpnpLight(name);
  lights.push(started);
  return started;
}

test("a real UPnP light is heard with its description's facts; killed, it is not heard again", { skip }, async () => {
  listener = await listenSsdp([{ deviceType: LIGHT_FACTS.deviceType }]);
  const name = `Light ${randomUUID().slice(0, 8)}`;
  const device = await light(name);
  await waitFor('the light heard', () => listener!.heardNamed(name).length > 0, 20_000);
  const heard = listener.heardNamed(name)[0]!;
  assert.match(heard.id, /^uuid:[0-9a-f-]{36}$/);
  assert.deepEqual(heard.addresses, ['127.0.0.1']);
  assert.ok(heard.freshMs > 0 && heard.freshMs <= 1800_000, `fresh for its max-age: ${heard.freshMs}`);
  const { location, types, ...facts } = heard.facts;
  assert.match(String(location), /^http:\/\/127\.0\.0\.1:\d+\//);
  assert.ok(Array.isArray(types) && types.includes(LIGHT_FACTS.deviceType), JSON.stringify(types));
  assert.match(String(facts.server), /GUPnP/);
  assert.deepEqual(
    { ...facts, server: null },
    {
      udn: heard.id,
      friendlyName: name,
      ...LIGHT_FACTS,
      rootDevice: true,
      server: null,
    },
  );

  // Killed, it says nothing: never heard again, while another light still answers the searches.
  const otherName = `Other ${randomUUID().slice(0, 8)}`;
  await light(otherName);
  await waitFor('the other light heard', () => listener!.heardNamed(otherName).length > 0, 20_000);
  await device.kill();
  // Datagrams the victim sent before it died may still be on their way: let one of the other
  // light's be heard after the kill before counting.
  const otherHeard = () => listener!.heardNamed(otherName).length;
  let seen = otherHeard();
  await waitFor('the other light heard after the kill', () => otherHeard() > seen, 20_000);
  const mark = listener.events.length;
  seen = otherHeard();
  listener.discoverer.query();
  await waitFor('the other light answering the search', () => otherHeard() > seen, 20_000);
  const later = listener.events.slice(mark);
  assert.equal(later.filter((entry) => entry.event === 'heard' && entry.announcement.id === heard.id).length, 0);
  assert.ok(!listener.leftIds().includes(heard.id), 'no byebye from a killed device: the source lets it go stale');
});
