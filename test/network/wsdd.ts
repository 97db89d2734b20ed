import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * The address WS-Discovery tests give the loopback interface of the test namespace: wsdd ignores
 * 127.0.0.0/8, so it needs another to announce on (192.0.2.0/24 is TEST-NET-1, never routed).
 */
export const WSD_TEST_ADDRESS = '192.0.2.37';

/** Adds the test address to `lo` (only ever called inside the test namespace); adding it twice is fine. */
export function addTestAddress(): void {
  const shown = execFileSync('ip', ['-4', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });
  if (!shown.includes(`${WSD_TEST_ADDRESS}/`)) {
    try {
      execFileSync('ip', ['addr', 'add', `${WSD_TEST_ADDRESS}/32`, 'dev', 'lo'], { stdio: 'ignore' });
    } catch {
      // another test file of the suite added it meanwhile
    }
  }
}

/** Debian's wsdd, a real WS-Discovery responder (a `wsdp:Device pub:Computer`), announcing `uuid`. */
export interface Wsdd {
  process: ChildProcess;
  /** The endpoint reference it announces: `urn:uuid:<uuid>`. */
  endpoint: string;
  exited: Promise<unknown>;
  /** SIGTERM: wsdd says Bye, then exits. */
  stop(): Promise<void>;
  /** SIGKILL: gone without a word. */
  kill(): Promise<void>;
  /** The end of what it logged, for a failing test to show. */
  log(): string;
}

/** Starts wsdd on the test address only, IPv4, without its HTTP metadata service. */
export function startWsdd(uuid: string, hostname = 'wsd-test-host'): Wsdd {
  const child = spawn('wsdd', ['-i', WSD_TEST_ADDRESS, '-4', '-t', '--uuid', uuid, '-n', hostname], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = once(child, 'exit');
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return {
    process: child,
    endpoint: `urn:uuid:${uuid}`,
    exited,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    log: () => log,
  };
}
