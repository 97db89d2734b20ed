// exec and link inside a real engine process: a program run with the device's facts, and a
// symlink that follows the device, across engine restarts and a device removed while stopped.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startEngine, waitFor, workspace, type Workspace } from './engine-process.js';

const isLink = (file: string) => {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
};

function setUp(): { space: Workspace; linkPath: string; events: string } {
  const space = workspace();
  const linkPath = path.join(space.root, 'run', 'devices', 'zwave');
  const events = path.join(space.root, 'events.log');
  const script = path.join(space.root, 'record.mjs');
  writeFileSync(
    script,
    `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(events)}, [process.env.DEVICE_EVENT, process.env.DEVICE_FILE_PATH, process.env.DEVICE_IDENTIFIER].join(' ') + '\\n');\n`,
  );
  const run = `[${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}]`;
  writeFileSync(
    path.join(space.profiles, 'zwave.yaml'),
    `name: zwave-stick
detect:
  file: { path: "${space.dev}/ttyACM*" }
map:
  identifier: { cat: ["zwave:", { var: "file.name" }] }
notify:
  - backend: link
    path: "${linkPath}"
  - backend: exec
    added: ${run}
    removed: ${run}
`,
  );
  writeFileSync(
    space.config,
    `delivery: { retryBaseMs: 50, retryCapMs: 400 }
backends:
  exec: { type: exec, timeoutMs: 5000 }
  link: { type: link, root: "${path.join(space.root, 'run', 'devices')}" }
`,
  );
  return { space, linkPath, events };
}

// The program's line, once written: the file exists, empty, between its creation and the write.
const lines = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
    : [];

test('exec and link follow a device across engine restarts, a reboot that cleared /run, and a removal while stopped', async () => {
  const { space, linkPath, events } = setUp();
  const tty = path.join(space.dev, 'ttyACM0');
  try {
    writeFileSync(tty, '');
    let engine = await startEngine(space);
    await waitFor('the link', () => isLink(linkPath));
    assert.equal(readlinkSync(linkPath), tty);
    await waitFor('the added program', () => lines(events).length === 1);
    assert.deepEqual(lines(events), [`added ${tty} zwave:ttyACM0`]);

    // A second device wanting the same link path waits for it, naming the holder.
    writeFileSync(path.join(space.dev, 'ttyACM1'), '');
    type Devices = { key: string; deliveries: { backend: string; state: string; lastError?: string }[] }[];
    await waitFor('the conflict', async () =>
      ((await engine.get('/devices')).body as Devices).some((device) =>
        device.deliveries.some((delivery) => delivery.state === 'retrying'),
      ),
    );
    const waiting = ((await engine.get('/devices')).body as Devices)
      .flatMap((device) => device.deliveries)
      .find((delivery) => delivery.state === 'retrying')!;
    assert.equal(waiting.backend, 'link');
    assert.equal(waiting.lastError, `${linkPath} is already the link of zwave:ttyACM0; waiting for it to be free`);
    assert.equal(readlinkSync(linkPath), tty);
    unlinkSync(path.join(space.dev, 'ttyACM1'));
    await waitFor('the second device removed', () => lines(events).length === 3);
    // Programs run at least once: stopped before its end is acknowledged, one would run again.
    type Summary = { deliveries: Record<string, number> };
    await waitFor(
      'every delivery acknowledged',
      async () => JSON.stringify(((await engine.get('/')).body as Summary).deliveries) === '{"acknowledged":2}',
    );
    assert.equal(await engine.stop(), 0);

    // Restarted with the device present: nothing runs again, the link stays.
    engine = await startEngine(space);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(lines(events).length, 3, lines(events).join('\n'));
    assert.equal(readlinkSync(linkPath), tty);
    assert.equal(await engine.stop(), 0);

    // /run is a tmpfs: after a reboot the link is gone, the device still there. It comes back.
    unlinkSync(linkPath);
    engine = await startEngine(space);
    await waitFor('the link restored', () => isLink(linkPath));
    assert.equal(readlinkSync(linkPath), tty);
    assert.equal(await engine.stop(), 0);

    // Unplugged while the engine was stopped: at start the link goes and `removed` runs with the
    // facts kept from when the device was present.
    unlinkSync(tty);
    engine = await startEngine(space);
    await waitFor('the link removed', () => !isLink(linkPath));
    await waitFor('the removed program', () => lines(events).length === 4);
    assert.equal(lines(events)[3], `removed ${tty} zwave:ttyACM0`);
    assert.equal(await engine.stop(), 0);
  } finally {
    rmSync(space.root, { recursive: true, force: true });
  }
});
