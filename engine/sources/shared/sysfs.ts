import { existsSync, opendirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/*
 * Shared by the sources (usb, serial, and the file source's one-shot look): every read of sysfs
 * and /dev goes through here, and only through the calls that umockdev
 * redirects (readFile, opendir, readlink, existsSync): readdir, stat and the JavaScript realpath
 * would see the real machine instead of a simulated one. Keeping them in one module keeps the
 * engine behaving the same on real hardware and under the simulator.
 */

/** The names in a folder, or [] when it cannot be read. */
export function listNames(folder: string): string[] {
  let directory;
  try {
    directory = opendirSync(folder);
  } catch {
    return [];
  }
  const names: string[] = [];
  try {
    for (let entry = directory.readSync(); entry; entry = directory.readSync()) names.push(entry.name);
  } finally {
    directory.closeSync();
  }
  return names.sort();
}

/** A sysfs attribute as text without the trailing newline, or null when absent or unreadable. */
export function readAttribute(folder: string, name: string): string | null {
  try {
    return readFileSync(path.join(folder, name), 'utf8').replace(/\n$/, '').trim();
  } catch {
    return null;
  }
}

/**
 * A string attribute (a USB string descriptor) as users expect it: null when absent, empty or
 * only blanks; otherwise the text as the kernel gives it with trailing blanks trimmed (devices
 * pad their strings: "VIA Labs, Inc.         ").
 */
export function readString(folder: string, name: string): string | null {
  let text: string;
  try {
    text = readFileSync(path.join(folder, name), 'utf8').replace(/\n$/, '');
  } catch {
    return null;
  }
  return text.trim() === '' ? null : text.trimEnd();
}

/** Where a symlink points, or null. */
export function readLink(file: string): string | null {
  try {
    return readlinkSync(file);
  } catch {
    return null;
  }
}

/** Whether a path exists. */
export function pathExists(file: string): boolean {
  return existsSync(file);
}
