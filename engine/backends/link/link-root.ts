// A link backend's `root` is a promise that links are made under that folder only. Comparing
// the text of the paths does not keep it: `root/sub` may be a symlink to /etc. What is
// compared is where the folders really are, once every symlink on the way is resolved.
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';

/** The deepest folder of `folder` and its ancestors that exists, resolved to its real path. */
async function realAncestor(folder: string): Promise<{ real: string; missing: string[] }> {
  const missing: string[] = [];
  let current = folder;
  for (;;) {
    try {
      return { real: await realpath(current), missing };
    } catch (error) {
      const parent = path.dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      missing.unshift(path.basename(current));
      current = parent;
    }
  }
}

const inside = (real: string, realRoot: string) =>
  real === realRoot || real.startsWith(realRoot === '/' ? '/' : `${realRoot}/`);

/**
 * Makes the folder a link goes in, and says why not when it is (or would be) outside `root`
 * for real: the deepest existing ancestor is resolved before anything is created (so no folder
 * is made outside `root`), and the folder itself again once made. Undefined when it is inside.
 */
export async function prepareLinkFolder(linkPath: string, root: string | undefined): Promise<string | undefined> {
  const folder = path.dirname(linkPath);
  if (root === undefined) {
    await mkdir(folder, { recursive: true });
    return undefined;
  }
  await mkdir(root, { recursive: true });
  const realRoot = await realpath(root);
  const escape = (real: string) =>
    `link path ${linkPath} is in ${real} once symlinks are resolved, outside the backend's root ${realRoot}: refused`;
  const ancestor = await realAncestor(folder);
  if (!inside(ancestor.real, realRoot)) return escape(path.join(ancestor.real, ...ancestor.missing));
  await mkdir(folder, { recursive: true });
  const real = await realpath(folder);
  return inside(real, realRoot) ? undefined : escape(real);
}
