// What a live process did between two readings of /proc: CPU time and wake-ups, for the idle
// benchmarks.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchFigure } from './bench-figure.js';

/** One reading of a process's counters. */
export interface ActivityReading {
  /** utime + stime of every thread, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
  ticks: number;
  /**
   * Voluntary context switches of every thread: a thread switches out voluntarily when it goes
   * back to sleep, so each is one wake-up (involuntary ones are preemptions of a thread already
   * awake, which a busy machine adds).
   */
  wakeUps: number;
  /** The same, of threads whose name matches the pattern asked for (e.g. node-usb's libusb thread). */
  wakeUpsOfNamed: number;
  threads: number;
  at: number;
}

/** Reads the counters of process `pid` now; `named` picks out threads by their name (`Name:` in status). */
export function readActivity(pid: number, named?: RegExp): ActivityReading {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name (which may hold spaces and parentheses) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let wakeUps = 0;
  let wakeUpsOfNamed = 0;
  const tasks = readdirSync(`/proc/${pid}/task`);
  for (const task of tasks) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      const switches = Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status)?.[1] ?? 0);
      wakeUps += switches;
      if (named && named.test(/^Name:\s+(.*)$/m.exec(status)?.[1] ?? '')) wakeUpsOfNamed += switches;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return {
    ticks: Number(fields[11]) + Number(fields[12]),
    wakeUps,
    wakeUpsOfNamed,
    threads: tasks.length,
    at: performance.now(),
  };
}

function clockTicksPerSecond(): number {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(result.stdout?.trim());
  return Number.isInteger(value) && value > 0 ? value : 100;
}

/**
 * CPU time, its share of one core and wake-ups per second between two readings, named `name`.
 * Ticks are usually 10 ms, so over 60 s the share's resolution is about 0.017 %.
 */
export function idleFigures(name: string, before: ActivityReading, after: ActivityReading): BenchFigure[] {
  const seconds = (after.at - before.at) / 1000;
  const cpuMs = ((after.ticks - before.ticks) * 1000) / clockTicksPerSecond();
  return [
    { name: `${name}: CPU time (utime+stime)`, value: cpuMs, unit: 'ms' },
    { name: `${name}: CPU share of one core`, value: (cpuMs / (seconds * 1000)) * 100, unit: '%' },
    {
      name: `${name}: wake-ups (voluntary context switches), all ${after.threads} threads`,
      value: (after.wakeUps - before.wakeUps) / seconds,
      unit: '/s',
    },
  ];
}

/**
 * Waits until process `pid` has not woken up for `quietMs` (reading /proc once a second, which
 * does not wake it), at most `maxMs`; resolves with how long that took, or undefined if it never
 * went quiet. After a burst of work V8 tidies its heap for up to a minute (a few collections
 * 8 s apart): this waits for that to end, so that what follows is the steady idle state.
 */
export async function quietAfter(pid: number, quietMs: number, maxMs: number): Promise<number | undefined> {
  const started = performance.now();
  let last = readActivity(pid);
  let quietSince = last.at;
  while (last.at - quietSince < quietMs) {
    if (last.at - started > maxMs) return undefined;
    await sleep(1000);
    const now = readActivity(pid);
    if (now.wakeUps !== last.wakeUps) quietSince = now.at;
    last = now;
  }
  return last.at - started;
}
