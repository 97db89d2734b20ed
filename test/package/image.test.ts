// What the Dockerfile promises, read from it (scripts/image-check.sh builds and runs it for real
// with buildah; pack.test.ts replays its stages): the locked dependencies on a supported Node,
// an init, the usb.ids database, OCI labels and a health check that follows --port; and the
// native parts for every platform of the documented multi-arch build.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../paths.js';
import { lockedPackages } from './locked-packages.js';

const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
/** Instructions with their continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const argDefault = (name: string) =>
  instructions.find((line) => line.startsWith(`ARG ${name}=`))?.slice(`ARG ${name}=`.length);
const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
};

/** The platforms of the documented `docker buildx` line, as node-gyp-build names them. */
const PLATFORMS = [
  { docker: 'linux/amd64', folder: 'linux-x64', elfClass: 2, machine: 62 /* x86-64 */ },
  { docker: 'linux/arm64', folder: 'linux-arm64', elfClass: 2, machine: 183 /* AArch64 */ },
  { docker: 'linux/arm/v7', folder: 'linux-arm', elfClass: 1, machine: 40 /* ARM */, armv: 'armv7' },
];

describe('the Dockerfile', () => {
  test('every stage is the pinned Node LTS image: 22 or 24, by exact version or digest', () => {
    const froms = instructions.filter((line) => line.startsWith('FROM '));
    assert.ok(froms.length >= 2);
    for (const from of froms) assert.match(from, /^FROM \$\{NODE_IMAGE\}( AS \w+)?$/);
    assert.match(
      argDefault('NODE_IMAGE') ?? '',
      /^node:(22|24)\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$|^node@sha256:[0-9a-f]{64}$/,
    );
  });

  test('the runtime gets the locked production dependencies from an npm ci stage, never a fresh install', () => {
    assert.ok(instructions.some((line) => /^FROM \$\{NODE_IMAGE\} AS deps$/.test(line)));
    assert.ok(instructions.some((line) => /^RUN npm ci --omit=dev\b/.test(line)));
    assert.ok(instructions.includes('COPY --from=deps /deps/node_modules /opt/engine/node_modules'));
    assert.doesNotMatch(dockerfile, /npm (install|i) /);
  });

  test('tini is PID 1 and the usb.ids and pci.ids databases are installed', () => {
    const entrypoint = JSON.parse(
      instructions.find((line) => line.startsWith('ENTRYPOINT '))!.slice('ENTRYPOINT '.length),
    ) as string[];
    assert.deepEqual(entrypoint.slice(0, 2), ['/usr/bin/tini', '--']);
    const aptInstall = instructions.find((line) => line.includes('apt-get install'))!;
    assert.match(aptInstall, / tini\b/);
    assert.match(aptInstall, / usb\.ids\b/);
    assert.match(aptInstall, / pci\.ids\b/);
  });

  test('OCI labels: source, the package version and licence', () => {
    const labels = instructions.filter((line) => line.startsWith('LABEL ')).join(' ');
    assert.match(labels, /org\.opencontainers\.image\.version="\$\{VERSION\}"/);
    assert.equal(argDefault('VERSION'), packageJson.version, 'ARG VERSION follows package.json');
    assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.licenses="${packageJson.license}"`));
    assert.match(labels, /org\.opencontainers\.image\.source="\$\{SOURCE\}"/);
  });

  test('the health check is the script that follows --port', () => {
    assert.ok(instructions.includes('COPY scripts/healthcheck.mjs /opt/engine/healthcheck.mjs'));
    assert.match(
      instructions.find((line) => line.startsWith('HEALTHCHECK '))!,
      /CMD \["node", "\/opt\/engine\/healthcheck\.mjs"\]$/,
    );
  });

  test('the documented multi-arch build covers amd64, arm64 and arm/v7', () => {
    const platforms = PLATFORMS.map((platform) => platform.docker).join(',');
    for (const file of ['docs/gateway.md', 'Dockerfile']) {
      assert.ok(
        readFileSync(path.join(ROOT, file), 'utf8').includes(`docker buildx build --platform ${platforms} `),
        `${file}: the buildx line`,
      );
    }
  });
});

describe('native prebuilds of the locked usb and serialport', () => {
  const locked = lockedPackages();
  for (const name of ['usb', '@serialport/bindings-cpp']) {
    test(`${name} ships a glibc binary for ${PLATFORMS.map((platform) => platform.docker).join(', ')}`, () => {
      const folder = path.join(ROOT, 'node_modules', name);
      const installed = (JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as { version: string })
        .version;
      assert.equal(installed, locked.get(`node_modules/${name}`)?.version, 'the installed version is the locked one');
      for (const platform of PLATFORMS) {
        const dir = path.join(folder, 'prebuilds', platform.folder);
        // node-gyp-build's choice: no musl build on Debian; on 32-bit ARM the armv7 build.
        const binaries = readdirSync(dir).filter(
          (file) =>
            file.endsWith('.node') && !file.includes('.musl.') && (!platform.armv || file.includes(platform.armv)),
        );
        assert.ok(binaries.length > 0, `${name}: no binary in prebuilds/${platform.folder}`);
        for (const binary of binaries) {
          const header = readFileSync(path.join(dir, binary)).subarray(0, 20);
          assert.equal(header.subarray(0, 4).toString('latin1'), '\x7fELF', binary);
          assert.equal(header[4], platform.elfClass, `${binary}: ELF class`);
          assert.equal(header.readUInt16LE(18), platform.machine, `${binary}: machine`);
        }
      }
    });
  }
});
