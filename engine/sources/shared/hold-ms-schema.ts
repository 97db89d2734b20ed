/**
 * How long a device that went keeps its registrations (`holdMs`), in a profile and in each
 * source's settings: written once here, so both say the same and have the same bounds.
 */

/**
 * The hold of USB and serial devices unless configured: a device that resets (a firmware update,
 * a power glitch, a modem switching modes) is gone from the bus for a few hundred milliseconds
 * and re-enumerates on the same port; 2 s covers that with room for the tty and driver to come
 * back, and an unplug still reaches the backends within 2 s.
 */
export const DEVICE_RESET_HOLD_MS = 2000;

/** The longest hold that can be set: an hour. */
const MAX_HOLD_MS = 3_600_000;

const HOLD_TEXT =
  'How long, in ms, the registrations of a device that went are kept: one that comes back within it (the same identifier, on any port) sends nothing, or one update if its payload changed; after it, it is deregistered. `/devices` shows it as leaving meanwhile. 0: deregistered at once.';

/** A source's `holdMs` setting, the default for its devices' profiles that set none. */
export const sourceHoldMsSchema = <Default extends number>(defaultMs: Default) =>
  ({
    type: 'integer',
    minimum: 0,
    maximum: MAX_HOLD_MS,
    default: defaultMs,
    description: `${HOLD_TEXT} The default for this source's devices; a profile's own \`holdMs\` outranks it.`,
  }) as const;

/** A profile's `holdMs`: for the devices it matches, instead of their source's setting. */
export const profileHoldMsSchema = {
  type: 'integer',
  minimum: 0,
  maximum: MAX_HOLD_MS,
  description: `${HOLD_TEXT} Without it, the source's \`holdMs\` from the engine config: ${DEVICE_RESET_HOLD_MS} for usb and serial devices, 0 for files.`,
  examples: [3000],
} as const;
