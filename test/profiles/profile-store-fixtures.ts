// Profile folders for the ProfileStore tests: real files in a temporary folder.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A valid file profile named `name`; `label` goes into its payload, so that versions differ. */
export function storeProfile(name: string, label = 'first'): string {
  return `name: ${name}
detect:
  file: { path: "/dev/${name}-*" }
map:
  identifier: { cat: ["${name}:", { var: "file.name" }] }
  name: ${label}
notify:
  - backend: stdout
`;
}

/** A temporary profiles folder and a way to write files into it. */
export function profilesFolder(): { folder: string; write: (file: string, text: string) => string } {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-store-'));
  return {
    folder,
    write: (file, text) => {
      const full = path.join(folder, file);
      writeFileSync(full, text);
      return full;
    },
  };
}
