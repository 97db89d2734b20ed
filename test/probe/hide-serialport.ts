// Test-only preload (`node --import`): `serialport` cannot be found, as when its install or its
// native prebuild is missing. The same file is the module hooks it registers.
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

type NextResolve = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<{ url: string }> {
  if (specifier === 'serialport')
    throw Object.assign(new Error("Cannot find package 'serialport' (hidden by the test)"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
  return nextResolve(specifier, context);
}
