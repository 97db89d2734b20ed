// A real UPnP device for the SSDP tests: gupnp-network-light (gupnp-tools), a DimmableLight
// root device, on the test namespace's loopback only. It is a GTK program, so it runs on an Xvfb
// display of its own. It says ssdp:byebye on no way out that a test can take (closing its window
// with WM_DELETE_WINDOW ends it without one too), so it is only ever killed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { TEST_INTERFACE } from './netns.js';

/** Why the light cannot run here (a program missing), or false. */
export const upnpLightMissing: string | false = ['gupnp-network-light', 'Xvfb']
  .map((program) => (spawnSync('which', [program]).status === 0 ? '' : program))
  .join(' ')
  .trim()
  ? `needs gupnp-network-light (gupnp-tools) and Xvfb (xvfb)`
  : false;

/** What the light's description (gupnp-tools' network-light-desc.xml) says, friendlyName aside. */
export const LIGHT_FACTS = {
  deviceType: 'urn:schemas-upnp-org:device:DimmableLight:1',
  manufacturer: 'GUPnP Developers',
  modelName: 'Network Light',
  modelNumber: '0.1',
  serialNumber: '0.1',
} as const;

/** A running light. */
export interface UpnpLight {
  /** SIGKILL: gone without a word. */
  kill(): Promise<void>;
  /** Ends whatever still runs (for `after`). */
  dispose(): void;
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit').then(() => undefined);

/** Starts an Xvfb display and a light named `name` on it. */
export async function startUpnpLight(name: string): Promise<UpnpLight> {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  let text = '';
  for await (const chunk of xvfb.stdio[3] as NodeJS.ReadableStream) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  const display = Number.parseInt(text, 10);
  const light = spawn('gupnp-network-light', ['-i', TEST_INTERFACE, '-4', '--no-v6', '-n', name], {
    env: { ...process.env, DISPLAY: `:${display}` },
    stdio: 'ignore',
  });
  const dispose = () => {
    for (const child of [light, xvfb]) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return {
    async kill() {
      light.kill('SIGKILL');
      await exited(light);
      dispose();
    },
    dispose,
  };
}
