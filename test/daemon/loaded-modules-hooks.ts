// Module hooks of the loaded-modules recorder: they run on the loader's own thread and append
// every URL an `import` resolves to the file the test named.
import { appendFileSync } from 'node:fs';

type NextResolve = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<{ url: string }> {
  const resolved = await nextResolve(specifier, context);
  const file = process.env['LOADED_MODULES_FILE'];
  if (file) appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
