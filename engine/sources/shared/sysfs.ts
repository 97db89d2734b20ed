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

/** One entry of a folder: its name, and whether it is a folder itself (a symlink is not). */
export interface FolderEntry {
  name: string;
  folder: boolean;
}

/**
 * The entries of a folder with their kinds, or [] when it cannot be read. Symlinks are not
 * folders here, so a walk down sysfs never follows `device`, `subsystem` or `driver` back up.
 */
export function listEntries(folder: string): FolderEntry[] {
  let directory;
  try {
    directory = opendirSync(folder);
  } catch {
    return [];
  }
  const entries: FolderEntry[] = [];
  try {
    for (let entry = directory.readSync(); entry; entry = directory.readSync())
      entries.push({ name: entry.name, folder: entry.isDirectory() });
  } catch {
    // A folder that goes while it is read (a device unplugged): what was read so far.
  } finally {
    directory.closeSync();
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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

/**
 * Where a relative symlink leads, resolved textually against the link's folder (the JavaScript
 * realpath would not see a simulated sysfs), or null when it is no link.
 */
export function followLink(link: string): string | null {
  const target = readLink(link);
  return target === null ? null : path.resolve(path.dirname(link), target);
}

/** The `KEY=value` lines of a sysfs `uevent` file (DEVNAME, DEVTYPE, MAJOR...); empty when unreadable. */
export function readUevent(folder: string): Map<string, string> {
  const text = readAttribute(folder, 'uevent');
  const values = new Map<string, string>();
  for (const line of text?.split('\n') ?? []) {
    const equals = line.indexOf('=');
    if (equals > 0) values.set(line.slice(0, equals), line.slice(equals + 1));
  }
  return values;
}

/** Whether a path exists. */
export function pathExists(file: string): boolean {
  return existsSync(file);
}
