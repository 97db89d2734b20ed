// Build step (`npm run build`, after tsc): the engine's entry points bundled with the engine modules
// they import, in dist/engine/: cli.js (in place of tsc's), check-worker.js and status-worker.js,
// and the chunks they share or load later. Node 20 loads an ES module in about a millisecond; the
// daemon's 230 modules took it 0.2 s on every start, on the main thread and again on each helper
// thread. Packages stay outside (resolved from dist/engine/ as before). What a command imports
// only when it runs (`engine validate` never loads the daemon) is a chunk of its own, loaded then,
// with the packages it imports. The modules tsc wrote stay beside the bundles, for the tests that
// import them one by one; dist/engine/bundle-sources.json says which sources each bundle holds.
//
// A module that names a file relative to itself (`new URL('./validators/', import.meta.url)`)
// would name it relative to the bundle instead: each such URL is re-based here to the same file
// seen from dist/engine/, where every bundle is, and a URL naming an entry point names that
// entry's bundle. Any other use of the module's own location fails the build rather than break
// at run time.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'dist', 'engine');
/** The entry points, by the name of their bundle in dist/engine/. */
const ENTRIES = {
  cli: 'engine/cli.ts',
  'check-worker': 'engine/profiles/check-worker.ts',
  'status-worker': 'engine/server/status-worker.ts',
};
/** Where tsc writes an entry's module, to its bundle: a worker started by URL is its bundle. */
const BUNDLE_OF = new Map(
  Object.entries(ENTRIES).map(([name, source]) => [
    path.join(ROOT, 'dist', source.replace(/\.ts$/, '.js')),
    path.join(OUT, `${name}.js`),
  ]),
);

const RELATIVE_URL = /new URL\((['"])(\.\.?\/[^'"]*)\1, import\.meta\.url\)/g;

/** Why a module's use of its own location cannot be re-based, or undefined when it can. */
function unbundlable(text) {
  const rest = text.replace(RELATIVE_URL, '');
  if (/new URL\([^)]*import\.meta\.url/.test(rest))
    return 'a URL relative to import.meta.url that is not a plain string';
  if (/import\.meta\.(dirname|filename)|fileURLToPath\(import\.meta\.url\)/.test(rest))
    return "the module's own folder or file name";
  if (/createRequire\(import\.meta\.url\)/.test(rest) && /\brequire\(\s*[`'"]\./.test(rest))
    return 'a relative require()';
  return undefined;
}

/** A relative URL of the module `source` (a TypeScript file of the engine), as seen from dist/engine/. */
function rebased(source, relative) {
  const moduleFolder = path.dirname(path.join(ROOT, 'dist', path.relative(ROOT, source)));
  const target = path.resolve(moduleFolder, relative);
  const reached = BUNDLE_OF.get(target) ?? target;
  const fromOut = path.relative(OUT, reached).split(path.sep).join('/');
  const prefixed = fromOut.startsWith('.') ? fromOut : `./${fromOut}`;
  return relative.endsWith('/') ? `${prefixed}/` : prefixed;
}

const rebaseUrls = {
  name: 'rebase-import-meta-urls',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]engine[\\/].*\.ts$/ }, async ({ path: source }) => {
      const text = await readFile(source, 'utf8');
      const why = unbundlable(text);
      if (why) throw new Error(`${path.relative(ROOT, source)}: ${why} cannot be re-based for the bundle`);
      const contents = text.replace(
        RELATIVE_URL,
        (_, quote, relative) => `new URL(${quote}${rebased(source, relative)}${quote}, import.meta.url)`,
      );
      return { contents, loader: 'ts' };
    });
  },
};

// The last build's bundles and chunks: tsc writes only cli.js at this level, and it is rebuilt.
for (const name of readdirSync(OUT)) if (/\.js(\.map)?$/.test(name)) rmSync(path.join(OUT, name));

const { metafile } = await build({
  entryPoints: Object.entries(ENTRIES).map(([out, source]) => ({ in: path.join(ROOT, source), out })),
  outdir: OUT,
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [rebaseUrls],
});

/** Each bundle (a file name in dist/engine/) and the engine sources it holds. */
const sources = Object.fromEntries(
  Object.entries(metafile.outputs)
    .filter(([output]) => output.endsWith('.js'))
    .map(([output, { inputs }]) => [path.basename(output), Object.keys(inputs).sort()]),
);
writeFileSync(path.join(OUT, 'bundle-sources.json'), `${JSON.stringify(sources, null, 1)}\n`);
