/** Readable names of the USB base classes (usb.org class codes), as in `usb.interfaces[].className`. */
export const USB_CLASS_NAMES: Readonly<Record<string, string>> = {
  '01': 'Audio',
  '02': 'Communications',
  '03': 'HID',
  '05': 'Physical',
  '06': 'Image',
  '07': 'Printer',
  '08': 'Mass Storage',
  '09': 'Hub',
  '0a': 'CDC Data',
  '0b': 'Smart Card',
  '0d': 'Content Security',
  '0e': 'Video',
  '0f': 'Personal Healthcare',
  '10': 'Audio/Video',
  '11': 'Billboard',
  '12': 'USB Type-C Bridge',
  dc: 'Diagnostic',
  e0: 'Wireless',
  ef: 'Miscellaneous',
  fe: 'Application Specific',
  ff: 'Vendor Specific',
};

/**
 * The readable name of a USB class code: usb.org's name, else the name the device's facts give
 * (`reported`), else `Class 0x`. The one place the name is worked out: by the source from sysfs,
 * by the detect check, and for a test's facts.
 */
export function usbClassName(code: string, reported?: string): string {
  return USB_CLASS_NAMES[code.toLowerCase()] ?? reported ?? `Class ${code}`;
}
