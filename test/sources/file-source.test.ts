import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, test } from 'node:test';
import { FileWatchPlan } from '../../engine/sources/file/file-watch.js';
import {
  described,
  presentAfter,
  quietPeriod,
  waitFor,
  watchedFolder,
  type WatchedFolder,
} from './file-source-harness.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'file-source-child.js');
const isRoot = process.getuid?.() === 0;

let current: WatchedFolder | undefined;
afterEach(async () => {
  await current?.dispose();
  current = undefined;
});
const fresh = () => (current = watchedFolder());
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Device nodes need mknod, which needs root (or CAP_MKNOD). */
function mknod(where: string, major: number, minor: number): boolean {
  return spawnSync('mknod', [where, 'c', String(major), String(minor)]).status === 0;
}

describe('FileSource', () => {
  test('paths present at start are reported as add before start() resolves', async () => {
    const folder = fresh();
    mkdirSync(folder.at('dev', 'v4l'), { recursive: true });
    writeFileSync(folder.at('dev', 'video0'), '');
    writeFileSync(folder.at('dev', 'video1'), '');
    writeFileSync(folder.at('dev', 'media0'), '');
    symlinkSync('../video0', folder.at('dev', 'v4l', 'cam-index0'));
    const source = await folder.start([folder.at('dev', 'video*'), folder.at('dev', 'v4l', 'cam-*')]);
    // No waiting: coldplug is complete when start() resolves.
    assert.deepEqual(described(folder.events).sort(), [
      `add ${folder.at('dev/v4l/cam-index0')}`,
      `add ${folder.at('dev/video0')}`,
      `add ${folder.at('dev/video1')}`,
    ]);
    const video0 = folder.events.find((event) => event.key === `file:${folder.at('dev', 'video0')}`);
    assert.deepEqual(video0, {
      action: 'add',
      key: `file:${folder.at('dev', 'video0')}`,
      source: 'file',
      facts: {
        file: {
          path: folder.at('dev', 'video0'),
          name: 'video0',
          dir: folder.at('dev'),
          type: 'file',
          major: null,
          minor: null,
        },
      },
    });
    const link = folder.events.find((event) => event.key === `file:${folder.at('dev', 'v4l', 'cam-index0')}`);
    assert.equal(link?.facts.file?.type, 'symlink');
    assert.deepEqual(source.status(), { kind: 'file', mode: 'inotify', ready: true, detail: '2 globs' });
  });

  test(
    'device nodes carry their major and minor numbers',
    { skip: isRoot ? false : 'mknod needs root' },
    async (context) => {
      const folder = fresh();
      if (!mknod(folder.at('video3'), 81, 3) || !mknod(folder.at('video-big'), 300, 70000))
        return context.skip('mknod is not permitted here (no CAP_MKNOD)');
      await folder.start([folder.at('video*')]);
      const facts = Object.fromEntries(
        folder.events.map((event) => [
          event.facts.file!.name,
          [event.facts.file!.type, event.facts.file!.major, event.facts.file!.minor],
        ]),
      );
      assert.deepEqual(facts, { video3: ['character', 81, 3], 'video-big': ['character', 300, 70000] });
    },
  );

  test('a path created later is added, a path deleted is removed with the facts it had', async () => {
    const folder = fresh();
    await folder.start([folder.at('ttyACM*')]);
    assert.deepEqual(described(folder.events), []);
    writeFileSync(folder.at('ttyACM0'), '');
    writeFileSync(folder.at('ttyUSB0'), '');
    await folder.waitForPresent(['ttyACM0']);
    unlinkSync(folder.at('ttyACM0'));
    await folder.waitForPresent([]);
    assert.deepEqual(described(folder.events), [`add ${folder.at('ttyACM0')}`, `remove ${folder.at('ttyACM0')}`]);
    assert.deepEqual(folder.events[1]!.facts, folder.events[0]!.facts);
    await quietPeriod();
    assert.equal(folder.events.length, 2, `no event for ttyUSB0: ${described(folder.events).join(', ')}`);
  });

  test('a path whose type changes is reported as change', async () => {
    const folder = fresh();
    writeFileSync(folder.at('node0'), '');
    await folder.start([folder.at('node*')]);
    const sentinel = folder.at('node-sentinel');
    renameSync(folder.at('node0'), folder.at('old'));
    symlinkSync('old', folder.at('node0'));
    writeFileSync(sentinel, '');
    await waitFor(
      'the sentinel and node0 as a symlink',
      () =>
        presentAfter(folder.events).includes(sentinel) &&
        folder.events.filter((event) => event.key.endsWith('/node0')).at(-1)?.facts.file?.type === 'symlink',
      () => described(folder.events),
    );
    const last = folder.events.filter((event) => event.key.endsWith('/node0')).at(-1)!;
    assert.notEqual(last.action, 'remove');
    assert.deepEqual(presentAfter(folder.events), [folder.at('node-sentinel'), folder.at('node0')].sort());
  });

  test('a node removed and re-created quickly ends present', async () => {
    const folder = fresh();
    writeFileSync(folder.at('video0'), '');
    await folder.start([folder.at('video*')]);
    for (let round = 0; round < 20; round++) {
      unlinkSync(folder.at('video0'));
      writeFileSync(folder.at('video0'), String(round));
    }
    // A later path in the same folder: once it is seen, the flapping has been seen too.
    writeFileSync(folder.at('video9'), '');
    await folder.waitForPresent(['video0', 'video9']);
    await quietPeriod();
    assert.deepEqual(presentAfter(folder.events), [folder.at('video0'), folder.at('video9')]);
  });

  test('a node created and removed quickly ends absent', async () => {
    const folder = fresh();
    await folder.start([folder.at('video*')]);
    for (let round = 0; round < 20; round++) {
      writeFileSync(folder.at('video0'), '');
      unlinkSync(folder.at('video0'));
    }
    writeFileSync(folder.at('video9'), '');
    await folder.waitForPresent(['video9']);
    await quietPeriod();
    assert.deepEqual(presentAfter(folder.events), [folder.at('video9')]);
    const adds = folder.events.filter((event) => event.action === 'add' && event.key.endsWith('/video0')).length;
    const removes = folder.events.filter((event) => event.action === 'remove' && event.key.endsWith('/video0')).length;
    assert.equal(adds, removes, 'every add of video0 has its remove');
  });

  test('paths created and removed twice within milliseconds end absent, and those left end present (no ghosts)', async () => {
    const folder = fresh();
    // A folder as busy as a real /dev: events for entries no profile wants must not matter.
    for (let index = 0; index < 300; index += 1) writeFileSync(folder.at(`other${index}`), '');
    await folder.start([folder.at('flap*')]);
    for (let index = 0; index < 20; index += 1) {
      const where = folder.at(`flap${index}`);
      // A few milliseconds apart: each change is seen, and an event can come after its path changed again.
      for (let round = 0; round < 2; round += 1) {
        writeFileSync(where, '');
        await pause(2);
        unlinkSync(where);
        await pause(2);
      }
      if (index % 2 === 0) writeFileSync(where, '');
    }
    const kept = Array.from({ length: 10 }, (_, index) => `flap${index * 2}`);
    await folder.waitForPresent(kept);
    await quietPeriod();
    assert.deepEqual(
      presentAfter(folder.events)
        .map((where) => path.basename(where))
        .sort(),
      kept.sort(),
    );
  });

  test('a watched folder removed and re-created at once is watched again (a new inode)', async () => {
    const folder = fresh();
    mkdirSync(folder.at('by-id'));
    writeFileSync(folder.at('by-id', 'cam-a'), '');
    await folder.start([folder.at('by-id', 'cam-*')]);
    rmSync(folder.at('by-id'), { recursive: true });
    mkdirSync(folder.at('by-id'));
    writeFileSync(folder.at('by-id', 'cam-b'), '');
    await folder.waitForPresent(['by-id/cam-b']);
    writeFileSync(folder.at('by-id', 'cam-c'), '');
    await folder.waitForPresent(['by-id/cam-b', 'by-id/cam-c']);
  });

  test('a folder below the watched one removed and re-created at once is watched again', async () => {
    const folder = fresh();
    mkdirSync(folder.at('v4l', 'by-id'), { recursive: true });
    await folder.start([folder.at('v4l', 'by-id', 'cam-*')]);
    rmSync(folder.at('v4l', 'by-id'), { recursive: true });
    mkdirSync(folder.at('v4l', 'by-id'));
    writeFileSync(folder.at('v4l', 'by-id', 'cam-b'), '');
    await folder.waitForPresent(['v4l/by-id/cam-b']);
    writeFileSync(folder.at('v4l', 'by-id', 'cam-c'), '');
    await folder.waitForPresent(['v4l/by-id/cam-b', 'v4l/by-id/cam-c']);
  });

  test('a glob under a folder reached through a link (/var/run -> /run) is watched', async () => {
    const folder = fresh();
    mkdirSync(folder.at('run'));
    symlinkSync('run', folder.at('var-run'));
    await folder.start([folder.at('var-run', 'sock*')]);
    writeFileSync(folder.at('run', 'sock0'), '');
    await folder.waitForPresent(['var-run/sock0']);
  });

  test('a link back up below a watched folder is not walked into', async () => {
    const folder = fresh();
    mkdirSync(folder.at('a'));
    symlinkSync('..', folder.at('a', 'up'));
    writeFileSync(folder.at('a', 'x1'), '');
    await folder.start([folder.at('a', '**', 'x*')]);
    await folder.waitForPresent(['a/x1']);
  });

  test('a folder on the way to the base that appears later, with entries already in it, is listed', async () => {
    const folder = fresh();
    await folder.start([folder.at('v4l', 'by-path', '*')]);
    mkdirSync(folder.at('staging', 'by-path'), { recursive: true });
    writeFileSync(folder.at('staging', 'by-path', 'pci-0'), '');
    // Appears in one rename with its content: only a listing can find pci-0.
    renameSync(folder.at('staging'), folder.at('v4l'));
    await folder.waitForPresent(['v4l/by-path/pci-0']);
  });

  test('a glob whose base folder does not exist yet starts working when the folders appear', async () => {
    const folder = fresh();
    const glob = folder.at('v4l', 'by-id', 'usb-*-index0');
    const source = await folder.start([glob]);
    assert.equal(source.status().ready, true);
    assert.deepEqual(described(folder.events), []);
    mkdirSync(folder.at('v4l', 'by-id'), { recursive: true });
    writeFileSync(folder.at('video0'), '');
    symlinkSync('../../video0', folder.at('v4l', 'by-id', 'usb-Cam_1234-video-index0'));
    symlinkSync('../../video0', folder.at('v4l', 'by-id', 'usb-Cam_1234-video-index1'));
    await folder.waitForPresent(['v4l/by-id/usb-Cam_1234-video-index0']);
    assert.equal(folder.events[0]!.facts.file?.type, 'symlink');
    unlinkSync(folder.at('v4l', 'by-id', 'usb-Cam_1234-video-index0'));
    await folder.waitForPresent([]);
    await quietPeriod();
    assert.deepEqual(described(folder.events), [
      `add ${folder.at('v4l/by-id/usb-Cam_1234-video-index0')}`,
      `remove ${folder.at('v4l/by-id/usb-Cam_1234-video-index0')}`,
    ]);
  });

  test('a base folder that goes away (last camera unplugged) and comes back is still watched', async () => {
    const folder = fresh();
    mkdirSync(folder.at('v4l', 'by-id'), { recursive: true });
    writeFileSync(folder.at('v4l', 'by-id', 'usb-CamA-index0'), '');
    await folder.start([folder.at('v4l', 'by-id', 'usb-*-index0')]);
    assert.deepEqual(described(folder.events), [`add ${folder.at('v4l/by-id/usb-CamA-index0')}`]);
    rmSync(folder.at('v4l', 'by-id'), { recursive: true });
    await folder.waitForPresent([]);
    mkdirSync(folder.at('v4l', 'by-id'));
    writeFileSync(folder.at('v4l', 'by-id', 'usb-CamB-index0'), '');
    await folder.waitForPresent(['v4l/by-id/usb-CamB-index0']);
  });

  test('a glob under a top-level folder that does not exist is still watched', () => {
    const missing = `/file-source-test-missing-${process.pid}`;
    assert.equal(existsSync(missing), false);
    const plan = new FileWatchPlan([`${missing}/a/*`]);
    assert.deepEqual(plan.roots, [{ folder: '/', depth: 2 }]);
    assert.equal(plan.wantsFolder('/'), true, 'the watch root "/" must be watched');
  });

  test('how deep each glob is watched below its nearest folder, whatever the spelling of its path', () => {
    const missing = `/file-source-test-missing-${process.pid}`;
    const there = fresh();
    const plan = new FileWatchPlan([
      `${missing}/a/b/*`,
      `${missing}/a/./b/*`,
      `${missing}/a//b/*`,
      `${missing}/a/../a/b/*`,
      `${missing}/a/b/c`,
      there.at('*'),
      there.at('x', 'y'),
      there.at('x', '**'),
    ]);
    assert.deepEqual(
      plan.roots.map((root) => root.depth),
      // `a/b/*` is three levels below `/`, however its folders are written; the literal path `c`
      // is watched from its folder `b`; the existing folder's own entries at depth 0; its missing
      // `x/y` one level down; `**` at any depth.
      [3, 3, 3, 3, 3, 0, 1, undefined],
    );
  });

  test('update() removes devices no longer matched and adds newly matched ones', async () => {
    const folder = fresh();
    for (const name of ['a', 'b']) mkdirSync(folder.at(name));
    writeFileSync(folder.at('a', 'one'), '');
    writeFileSync(folder.at('b', 'one'), '');
    const source = await folder.start([folder.at('a', '*')]);
    assert.deepEqual(described(folder.events), [`add ${folder.at('a/one')}`]);
    await source.update([folder.at('b', '*')]);
    // update() resolves once the new set is reported, like start().
    assert.deepEqual(presentAfter(folder.events), [folder.at('b', 'one')]);
    assert.deepEqual(described(folder.events.slice(1)).sort(), [
      `add ${folder.at('b/one')}`,
      `remove ${folder.at('a/one')}`,
    ]);
    assert.deepEqual(source.status(), { kind: 'file', mode: 'inotify', ready: true, detail: '1 globs' });
    writeFileSync(folder.at('a', 'two'), '');
    writeFileSync(folder.at('b', 'two'), '');
    await folder.waitForPresent(['b/one', 'b/two']);
    await quietPeriod();
    assert.equal(folder.events.filter((event) => event.key.includes('/a/two')).length, 0, 'a/ is no longer watched');
  });

  test('update() with the same globs in another order changes nothing; with none, removes everything', async () => {
    const folder = fresh();
    writeFileSync(folder.at('x1'), '');
    writeFileSync(folder.at('y1'), '');
    const source = await folder.start([folder.at('x*'), folder.at('y*')]);
    assert.equal(folder.events.length, 2);
    await source.update([folder.at('y*'), folder.at('x*')]);
    assert.equal(folder.events.length, 2);
    await source.update([]);
    assert.deepEqual(presentAfter(folder.events), []);
    assert.deepEqual(source.status(), { kind: 'file', mode: 'idle', ready: true, detail: '0 globs' });
    writeFileSync(folder.at('x2'), '');
    await quietPeriod();
    assert.equal(folder.events.length, 4);
  });

  test('stop() closes every watcher it opened', async () => {
    const folder = fresh();
    // The kernel's own count: inotify watches held by this process, from /proc/self/fdinfo.
    const watchers = () =>
      readdirSync('/proc/self/fd').reduce((count, fd) => {
        try {
          return count + (readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm)?.length ?? 0);
        } catch {
          return count;
        }
      }, 0);
    const before = watchers();
    mkdirSync(folder.at('a', 'b'), { recursive: true });
    const source = await folder.start([
      folder.at('a', 'b', '*'),
      folder.at('a', '*'),
      folder.at('later', 'deeper', '*'),
    ]);
    assert.ok(watchers() > before, 'the source watches something');
    await source.update([folder.at('a', '*')]);
    assert.deepEqual(described(folder.events), [`add ${folder.at('a/b')}`]);
    assert.equal(folder.events[0]!.facts.file?.type, 'directory');
    await source.stop();
    // libuv closes handles asynchronously: they go within a few ticks, not necessarily at once.
    await waitFor(
      'the watchers to close',
      () => watchers() === before,
      () => watchers(),
      2000,
    );
    writeFileSync(folder.at('a', 'late'), '');
    await quietPeriod(200);
    assert.deepEqual(described(folder.events), [`add ${folder.at('a/b')}`], 'nothing is reported after stop()');
  });

  test('after stop() the process can exit on its own', async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'file-source-exit-'));
    try {
      writeFileSync(path.join(scratch, 'node0'), '');
      const child = spawn(process.execPath, [CHILD, 'exit', scratch], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | string | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve('still running 5 s after stop()');
        }, 5000);
        child.on('exit', (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      assert.equal(code, 0, output);
      assert.match(output, /"stopped":true/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('FileSource with a folder it may not read', () => {
  // chmod 000 does not stop root, so as root the case runs in a child process as `nobody`.
  const runAs = isRoot ? { uid: 65534, gid: 65534 } : {};
  const preflight = spawnSync(process.execPath, [CHILD, 'check'], { ...runAs, encoding: 'utf8', timeout: 10_000 });
  const skip =
    preflight.status === 0
      ? false
      : `cannot run the check as an unprivileged user (uid 65534): ${(preflight.stderr || String(preflight.error)).split('\n')[0]}`;

  /** Runs the child in `mode` on a fresh scratch folder, as the unprivileged user; its output lines. */
  async function runChild(mode: string): Promise<Record<string, unknown>[]> {
    const scratch = mkdtempSync(path.join(tmpdir(), 'file-source-locked-'));
    chmodSync(scratch, 0o777);
    try {
      const child = spawn(process.execPath, [CHILD, mode, scratch], { ...runAs, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | string | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve('timed out');
        }, 15_000);
        child.on('exit', (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      assert.equal(code, 0, `${stdout}\n${stderr}`);
      return stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    } finally {
      spawnSync('chmod', ['-R', 'u+rwx', scratch]);
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  test('does not crash, logs a warning, and keeps watching the other globs', { skip }, async () => {
    const lines = (await runChild('unreadable')) as {
      event?: string;
      phase?: string;
      log?: { level: string; msg: string; error?: string };
    }[];
    const events = lines.flatMap((line) => (line.event ? [line.event] : []));
    const phases = lines.flatMap((line) => (line.phase ? [line.phase] : []));
    assert.deepEqual(phases, ['started', 'stopped']);
    // Before start() resolved: the readable folders' paths, nothing from the locked one.
    const atStart = lines
      .slice(
        0,
        lines.findIndex((line) => line.phase === 'started'),
      )
      .flatMap((line) => (line.event ? [line.event] : []));
    assert.deepEqual(atStart.sort(), ['add later/a', 'add open/a']);
    assert.ok(events.includes('add open/b') && events.includes('add open/c'), events.join(', '));
    assert.ok(!events.some((event) => event.includes('locked/')), events.join(', '));
    const warnings = lines.flatMap((line) => (line.log && line.log.level === 'warn' ? [line.log] : []));
    assert.ok(
      warnings.some((warning) => warning.msg === 'file watch error' && /EACCES/.test(warning.error ?? '')),
      JSON.stringify(warnings),
    );
  });

  test('a folder made unreadable and readable again is watched again', { skip }, async () => {
    const [result] = (await runChild('unreadable-then-readable')) as { events: string[]; present: string[] }[];
    assert.deepEqual(result?.present, ['later/a', 'later/b'], `events: ${result?.events.join(', ')}`);
  });
});
