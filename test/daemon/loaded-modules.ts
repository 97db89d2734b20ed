// Test-only preload (`node --import`) that records which modules a process loads, into the file
// named by LOADED_MODULES_FILE: every URL an `import` resolves (through module hooks), and at
// exit the files `require` loaded (libusb is loaded with `createRequire`, which hooks do not see
// on Node 20).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env['LOADED_MODULES_FILE'];
if (file) {
  register(new URL('./loaded-modules-hooks.js', import.meta.url));
  const required = createRequire(import.meta.url).cache;
  process.on('exit', () =>
    appendFileSync(
      file,
      Object.keys(required)
        .map((loaded) => `${loaded}\n`)
        .join(''),
    ),
  );
}
