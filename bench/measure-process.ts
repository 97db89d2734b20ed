import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Wall time, CPU time and peak resident memory of one whole child process. */
export interface ProcessFigures {
  wallMs: number;
  /** User plus system CPU time, which a loaded machine distorts less than wall time. */
  cpuMs: number;
  peakRssKiB: number;
  exitCode: number | null;
  stdout: string;
}

/** User plus system CPU time of a live process so far, in ms (the kernel counts 10 ms ticks). */
export function cpuMsOf(pid: number): number | undefined {
  try {
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

function peakOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `command args` to completion. The peak resident set is the kernel's high-water mark
 * (VmHWM), sampled every 5 ms until the process exits: it only grows, so the last sample is the
 * peak up to a few milliseconds before exit; the CPU time is sampled alongside, and is short by
 * at most the last few milliseconds too.
 */
export function measureProcess(
  command: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<ProcessFigures> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let peakRssKiB = 0;
    let cpuMs = 0;
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const sampler = setInterval(() => {
      peakRssKiB = Math.max(peakRssKiB, peakOf(child.pid!) ?? 0);
      cpuMs = Math.max(cpuMs, cpuMsOf(child.pid!) ?? 0);
    }, 5);
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      clearInterval(sampler);
      resolve({ wallMs: Number(process.hrtime.bigint() - started) / 1e6, cpuMs, peakRssKiB, exitCode, stdout });
    });
  });
}
