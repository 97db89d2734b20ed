// The status page's HTML from typed status data, without a browser (status-page-browser.system.test.ts
// loads it in a real one): what an operator reads on it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { counted, relativeTime, renderStatusPage } from '../../engine/server/status-page.js';
import { deviceOf, profilesOf, summaryOf } from './status-fixtures.js';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

/** The page's text as a browser shows it, roughly: tags dropped, entities of the test's text decoded. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"');

test('the page names each source with its mode, and counts with correct plurals', () => {
  const html = renderStatusPage(
    {
      summary: summaryOf({
        profiles: { loaded: 1, errors: 0, warnings: 0 },
        devices: { present: 1, matched: 1, leaving: 0 },
        sources: [
          { kind: 'usb', mode: 'libusb-hotplug', ready: true },
          { kind: 'serial', mode: 'polling', ready: false },
        ],
      }),
      devices: [deviceOf('file:/dev/video0', { profile: 'webcam' })],
      profiles: profilesOf('webcam'),
    },
    NOW,
  );
  const text = textOf(html);
  assert.match(text, /ready · 1 profile · 1 device present, 1 matched/);
  assert.match(text, /sources: usb: libusb-hotplug · serial: polling \(starting\)/);
  const none = textOf(renderStatusPage({ summary: summaryOf(), devices: [], profiles: profilesOf() }, NOW));
  assert.match(none, /0 profiles · 0 devices present/);
});

test('deliveries show their failure count, and times are given relative to now beside the absolute ones', () => {
  const device = deviceOf('file:/dev/sensor1', {
    profile: 'sensor',
    candidates: [
      { profile: 'sensor', file: '/profiles/sensor.yaml', matched: true },
      { profile: 'night-sensor', file: '/profiles/night.yaml', matched: false, reason: '`when` is false' },
    ],
    deliveries: [
      {
        backend: 'nuvlabox',
        identifier: 'sensor:sensor1',
        deviceKey: 'file:/dev/sensor1',
        state: 'retrying',
        failures: 3,
        lastError: 'host not found (DNS): agent',
        nextAttemptAt: at(12_000),
      },
    ],
  });
  const html = renderStatusPage(
    { summary: summaryOf({ startedAt: at(-180_000) }), devices: [device], profiles: profilesOf('sensor') },
    NOW,
  );
  const text = textOf(html);
  assert.match(text, new RegExp(`started ${at(-180_000)} \\(3 min ago\\)`));
  assert.match(html, /<td class="failures">3<\/td>/);
  assert.match(text, new RegExp(`host not found \\(DNS\\): agent${at(12_000)} \\(in 12 s\\)`));
  assert.match(html, /<h4>Other profiles considered<\/h4><ul class="misses"><li><strong>night-sensor<\/strong>/);
});

test('plurals and relative times', () => {
  assert.deepEqual(
    [counted(0, 'device'), counted(1, 'device'), counted(2, 'profile')],
    ['0 devices', '1 device', '2 profiles'],
  );
  assert.deepEqual(
    [0, 400, 12_000, -59_000, -180_000, 2 * 3600_000, -3 * 86400_000].map((offset) => relativeTime(at(offset), NOW)),
    ['now', 'now', 'in 12 s', '59 s ago', '3 min ago', 'in 2 h', '3 d ago'],
  );
  assert.equal(relativeTime('not a time', NOW), '');
});

test('a device gone within its hold is listed under Leaving, with when it goes for good; not under the devices present', () => {
  const html = renderStatusPage(
    {
      summary: summaryOf({ devices: { present: 0, matched: 0, leaving: 1 } }),
      devices: [
        deviceOf('usb:1-1.4', {
          present: false,
          leaving: { since: at(-1_000), until: at(2_000) },
          profile: 'gps',
          facts: { usb: { vendorId: '1546', productId: '01a7' } },
        }),
      ],
      profiles: profilesOf('gps'),
    },
    NOW,
  );
  const section = (id: string) => textOf(new RegExp(`<div id="${id}">([\\s\\S]*?)</div>\\n<h2>`).exec(html)![1]!);
  assert.match(section('leaving'), /usb:1-1\.4 matched gps/);
  assert.match(section('leaving'), /deregistered at 2026-06-01T12:00:02\.000Z \(in 2 s\) unless it comes back/);
  assert.match(section('devices'), /no device present/);
  assert.match(section('removals'), /none/);
  assert.match(textOf(html), /0 devices present, 0 matched, 1 leaving/);
});
