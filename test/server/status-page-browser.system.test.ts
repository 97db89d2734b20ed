// The status page in a real browser (Debian's chromium, headless, driven by puppeteer-core): an
// operator who opens the gateway's port sees the devices, the profile each matched and why the
// others did not, each delivery's state and error, pending removals and profile problems; the
// page loads nothing from outside and refreshes itself. The server is locked with a token here:
// the token given once in the URL becomes a cookie.
import assert from 'node:assert/strict';
import { existsSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import puppeteer from 'puppeteer-core';
import { deviceProfile, startEngine, waitFor, workspace } from '../daemon/engine-process.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'page-test-token';

/** A port nothing listens on: the agent there is "down". */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test(
  'the status page in a headless browser shows devices, near misses, deliveries, pending removals and profile problems',
  { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (Debian package chromium)` },
  async () => {
    const space = workspace();
    writeFileSync(
      path.join(space.profiles, 'camera.yaml'),
      `name: test-camera\ndetect:\n  file: { path: "${space.dev}/video*" }\nmap:\n  identifier: { cat: ["camera:", { var: "file.name" }] }\nnotify:\n  - backend: stdout\n`,
    );
    writeFileSync(
      path.join(space.profiles, 'night-camera.yaml'),
      `name: night-camera\ndetect:\n  file: { path: "${space.dev}/video*" }\n  when: { "==": [{ var: "file.name" }, "night0"] }\nmap:\n  identifier: night\nnotify:\n  - backend: stdout\n`,
    );
    writeFileSync(
      path.join(space.profiles, 'sensor.yaml'),
      deviceProfile(space, { name: 'sensor', backend: 'nuvlabox' }),
    );
    writeFileSync(path.join(space.profiles, 'broken.yaml'), 'name: broken\ndetect: { file: { path: [unclosed }\n');
    writeFileSync(
      space.config,
      `delivery: { retryBaseMs: 50, retryCapMs: 60000 }\nstatus: { token: ${TOKEN} }\nbackends:\n  stdout: { type: stdout }\n  nuvlabox: { type: nuvlabox-agent, url: "http://127.0.0.1:${await closedPort()}/api", requestTimeoutMs: 1000 }\n`,
    );
    writeFileSync(path.join(space.dev, 'video0'), '');
    writeFileSync(path.join(space.dev, 'sensor1'), '');
    const engine = await startEngine(space);
    const browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
    try {
      type Devices = { key: string; present?: boolean; deliveries: { state: string }[] }[];
      const devices = async () => {
        const response = await fetch(`http://127.0.0.1:${engine.port}/devices`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        return (await response.json()) as Devices;
      };
      await waitFor('the sensor delivery failing', async () =>
        (await devices()).some(
          (device) =>
            device.key.endsWith('sensor1') && device.deliveries.some((delivery) => delivery.state === 'retrying'),
        ),
      );
      // Gone while its registration may have reached the agent: a removal that stays pending.
      unlinkSync(path.join(space.dev, 'sensor1'));
      await waitFor('the pending removal in /devices', async () =>
        (await devices()).some((device) => device.key.endsWith('sensor1') && device.present === false),
      );

      const page = await browser.newPage();
      const outside: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(`http://127.0.0.1:${engine.port}/`)) outside.push(request.url());
      });
      const response = await page.goto(`http://127.0.0.1:${engine.port}/?token=${TOKEN}`, { waitUntil: 'load' });
      assert.equal(response?.status(), 200);
      assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
      const text = (selector: string) =>
        page.$eval(selector, (element) => (element as unknown as { innerText: string }).innerText);

      const camera = await text(`section.device[data-key="file:${space.dev}/video0"]`);
      assert.match(camera, /matched test-camera/);
      assert.match(camera, /night-camera .*: `when` is false/);
      assert.match(camera, /stdout\s+camera:video0\s+acknowledged/);

      const removals = await text('#removals');
      assert.match(removals, new RegExp(`file:${space.dev}/sensor1`));
      assert.match(removals, /nuvlabox\s+sensor:sensor1\s+(removing|failed)\s+.*(ECONNREFUSED|connect|refused)/i);

      const problems = await text('#profile-problems');
      assert.match(problems, new RegExp(`${path.join(space.profiles, 'broken.yaml')}:2:\\d+ error yaml-syntax`));

      // It refreshes itself, with the cookie that replaced the token.
      const refresh = await page.$eval('meta[http-equiv="refresh"]', (element) => element.getAttribute('content'));
      assert.equal(refresh, '5');
      const before = await text('#refreshed');
      // The reload replaces the document: wait for a new one to show another time.
      await waitFor(
        'the page to refresh itself',
        async () => {
          try {
            return (await text('#refreshed')) !== before;
          } catch {
            return false; // between two documents
          }
        },
        20_000,
      );
      assert.match(await text('#summary'), /ready/);
      assert.deepEqual(outside, []);
      await page.screenshot({ path: path.join(space.root, 'status-page.png') });
    } finally {
      await browser.close();
      await engine.stop();
      rmSync(space.root, { recursive: true, force: true });
    }
  },
);
