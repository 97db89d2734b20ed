/*
 * The engine under a umockdev testbed and a port that another program has locked the UUCP way
 * (LCK..ttyUSB1 naming a live process, as minicom or pppd leave it): the port is not probed and
 * /devices says why; once that process is gone its lock is stale, removed, and the port probed,
 * the engine's own lock file taken for the probe and removed after.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startEngine, waitFor, workspace, writeConfig, type EngineProcess } from '../daemon/engine-process.js';
import { startFakeAgent } from '../fakes/fake-nuvlabox-agent.js';
import { startTestbed, umockdevAvailable } from './testbed.js';
import { held } from './usb-helpers.js';

const skip = umockdevAvailable();

const MODEM_PROFILE = `name: modem-on-cp2102
detect:
  usb: { vendorId: "10c4", productId: "ea60" }
  serial:
    path: /dev/ttyUSB*
    probe: { baudRate: 115200, write: "AT\\r", expect: "\\\\r\\\\nOK\\\\r\\\\n", timeoutMs: 1500 }
map:
  name: AT modem
  available: true
  classes: [modem]
  interface: Serial
  serial-number: { var: usb.serialNumber }
notify: [{ backend: nuvlabox }]
`;

interface ProbeView {
  profile: string;
  state: string;
  detail?: string;
}

async function probesOf(engine: EngineProcess, key: string): Promise<ProbeView[]> {
  const devices = (await engine.get('/devices')).body as { key: string; probes?: ProbeView[] }[];
  return devices.find((device) => device.key === key)?.probes ?? [];
}

test(
  'a port locked by a live process is not probed and /devices says so; its stale lock is cleared and the port probed',
  { skip },
  async () => {
    const testbed = await startTestbed();
    const agent = await startFakeAgent();
    const space = workspace();
    const lockDir = mkdtempSync(path.join(tmpdir(), 'engine-locks-'));
    const lockFile = path.join(lockDir, 'LCK..ttyUSB1');
    writeConfig(
      space,
      agent.url,
      `sources: { usb: { mode: inotify }, serial: { busyRetryMs: 300, lockFolders: ["${lockDir}"] } }\n`,
    );
    writeFileSync(path.join(space.profiles, 'modem-on-cp2102.yaml'), MODEM_PROFILE);
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    let engine: EngineProcess | undefined;
    try {
      const usb = await testbed.addUsbDevice({
        port: '1-1',
        vendorId: '10c4',
        productId: 'ea60',
        manufacturer: 'Silicon Labs',
        product: 'CP2102 USB to UART Bridge Controller',
        serial: 'MDM0001',
        interfaces: [{ class: 0xff, driver: 'cp210x' }],
      });
      await testbed.addTty({
        name: 'ttyUSB1',
        usb: usb.path,
        driver: 'cp210x',
        responder: { replies: [{ match: 'AT\\r', text: 'AT\r\r\nOK\r\n' }] },
      });
      const holderLock = `${String(holder.pid).padStart(10)}\n`;
      writeFileSync(lockFile, holderLock);
      engine = await startEngine(space, [], testbed.env());

      const reported = `locked by process ${holder.pid} (${lockFile}); trying again later`;
      await waitFor(
        '/devices to report the locked port',
        async () =>
          (await probesOf(engine!, 'serial:1-1:if00')).some(
            (probe) => probe.state === 'busy' && probe.detail === `locked by process ${holder.pid} (${lockFile})`,
          ),
        20_000,
      );
      const devices = (await engine.get('/devices')).body as { key: string; candidates: { reason?: string }[] }[];
      const tty = devices.find((device) => device.key === 'serial:1-1:if00')!;
      assert.ok(
        tty.candidates.some((candidate) => candidate.reason?.includes(reported)),
        `the candidate says why: ${JSON.stringify(tty.candidates)}`,
      );
      assert.deepEqual(held(agent), [], 'nothing registered while the port is locked');
      assert.equal((await testbed.ttyReceived('ttyUSB1')).length, 0, 'nothing written to a locked port');
      assert.equal(readFileSync(lockFile, 'latin1'), holderLock, "the holder's lock is left alone");

      holder.kill('SIGKILL');
      await waitFor('the modem registered once its lock is stale', () => held(agent).length === 1, 20_000);
      assert.equal((await testbed.ttyReceived('ttyUSB1')).toString('latin1'), 'AT\r');
      await waitFor('the stale lock and the probe lock removed', () => !existsSync(lockFile), 10_000);
      assert.equal(await engine.stop(), 0, 'the engine stops cleanly');
      engine = undefined;
    } finally {
      holder.kill('SIGKILL');
      if (engine) await engine.kill().catch(() => undefined);
      await agent.close();
      await testbed.close();
      rmSync(space.root, { recursive: true, force: true });
      rmSync(lockDir, { recursive: true, force: true });
    }
  },
);
