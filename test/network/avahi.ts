// A real avahi-daemon publishing services on the test namespace's loopback interface, with a
// D-Bus system bus of its own (avahi-publish talks to the daemon over D-Bus). The daemon runs
// in a mount namespace of its own with a tmpfs on /run/avahi-daemon, where it keeps its pid
// file and socket, so it never meets a machine's avahi or another test's.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEST_INTERFACE } from './netns.js';
import { exitOf, outputSays } from './peer-process.js';

/** The host name avahi publishes: service instances resolve to `engine-test.local`. */
export const AVAHI_HOST = 'engine-test';

/** Why avahi cannot run here, or undefined when it can. */
export function avahiMissing(): string | undefined {
  for (const program of ['avahi-daemon', 'avahi-publish', 'dbus-daemon', 'unshare', 'mount']) {
    if (spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0) return `${program} is not installed`;
  }
  return undefined;
}

/** One service published by avahi-publish. */
export interface Publication {
  /** Ends avahi-publish (SIGTERM): the daemon withdraws the service with a goodbye. */
  withdraw(): Promise<void>;
}

/** A running avahi-daemon and its private bus. */
export interface Avahi {
  publish(instance: string, type: string, port: number, txt?: readonly string[]): Promise<Publication>;
  /** SIGKILL to the daemon: its services go without a goodbye. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const busConfig = (socket: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`;

const AVAHI_CONFIG = `[server]
host-name=${AVAHI_HOST}
use-ipv4=yes
use-ipv6=no
allow-interfaces=${TEST_INTERFACE}
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-aaaa-on-ipv4=no
`;

/** Starts a bus and avahi-daemon on it; resolves once the daemon says its start-up is complete. */
export async function startAvahi(): Promise<Avahi> {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-avahi-'));
  const socket = path.join(folder, 'bus');
  writeFileSync(path.join(folder, 'bus.conf'), busConfig(socket));
  writeFileSync(path.join(folder, 'avahi-daemon.conf'), AVAHI_CONFIG);
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${socket}` };
  const children: ChildProcess[] = [];
  const bus = spawn(
    'dbus-daemon',
    [`--config-file=${path.join(folder, 'bus.conf')}`, '--nofork', '--nopidfile', '--print-address'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(bus);
  const daemonCommand = `mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && exec avahi-daemon --no-drop-root --no-chroot --no-rlimits --no-proc-title -f ${path.join(folder, 'avahi-daemon.conf')}`;
  const stopAll = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exitOf(child);
    }
    rmSync(folder, { recursive: true, force: true });
  };
  let daemon: ChildProcess;
  try {
    await outputSays(bus, 'stdout', socket, 'dbus-daemon to listen');
    daemon = spawn('unshare', ['-m', 'sh', '-c', daemonCommand], { stdio: ['ignore', 'pipe', 'pipe'], env });
    children.push(daemon);
    await outputSays(daemon, 'stderr', 'Server startup complete', 'avahi-daemon to start');
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    async publish(instance, type, port, txt = []) {
      const child = spawn('avahi-publish', ['-s', instance, type, String(port), ...txt], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      });
      children.push(child);
      await outputSays(child, 'stderr', 'Established under name', `avahi-publish of ${instance}`);
      return {
        async withdraw() {
          child.kill('SIGTERM');
          await exitOf(child);
        },
      };
    },
    async kill() {
      daemon.kill('SIGKILL');
      await exitOf(daemon);
    },
    stop: stopAll,
  };
}
