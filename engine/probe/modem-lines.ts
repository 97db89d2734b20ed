import type { SerialPort } from 'serialport';
import type { SerialProbe } from '../sources/serial/serial-detect.js';

/** The modem control lines a probe asks for, and whether it asks for anything but the default. */
export function probeModemLines(probe: SerialProbe): { dtr: boolean; rts: boolean; quiet: boolean } {
  const dtr = probe.dtr ?? true;
  const rts = probe.rts ?? true;
  return { dtr, rts, quiet: !dtr || !rts };
}

/**
 * The `serialport` open options that keep the lines where a quiet probe wants them. `hupcl:
 * false` clears HUPCL, so that closing the port does not move the lines again (and on Windows
 * the binding then opens with DTR_CONTROL_DISABLE, so DTR is never raised there at all). On
 * Linux and macOS the kernel itself raises DTR and RTS inside open(), before any program can
 * act (unless the port's saved speed is 0): no open option prevents that edge.
 */
export function modemLineOpenOptions(probe: SerialProbe): { hupcl?: boolean } {
  return probeModemLines(probe).quiet ? { hupcl: false } : {};
}

/**
 * Lowers the lines a quiet probe does not want, right after open and before any byte is written.
 * A port without modem lines (a pty, some USB CDC firmwares) refuses the ioctl: there is nothing
 * to lower then, and the probe goes on; what happened is returned for the log.
 */
export function applyModemLines(port: SerialPort, probe: SerialProbe): Promise<string | undefined> {
  const { dtr, rts, quiet } = probeModemLines(probe);
  if (!quiet) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    port.set({ dtr, rts }, (error) =>
      resolve(
        error
          ? `could not set DTR ${dtr ? 'on' : 'off'} and RTS ${rts ? 'on' : 'off'}: ${error.message}`
          : `DTR ${dtr ? 'on' : 'off'}, RTS ${rts ? 'on' : 'off'}`,
      ),
    );
  });
}
