// The exec backend running real programs (node scripts written to a temporary folder).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Change } from '../../engine/backends/backend.js';
import { execBackend } from '../../engine/backends/exec.js';
import { KILL_GRACE_MS } from '../../engine/actions/run-program.js';
import { createLogger } from '../../engine/core/log.js';
import type { Facts } from '../../engine/core/facts.js';
import { configIssues, notifyIssues } from './notify-options.js';

const folder = mkdtempSync(path.join(tmpdir(), 'exec-backend-'));
after(() => rmSync(folder, { recursive: true, force: true }));

/** A node script in the temporary folder; returns its path. */
function script(name: string, source: string): string {
  const file = path.join(folder, name);
  writeFileSync(file, source);
  return file;
}

function backend(config: Record<string, unknown> = {}) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  return { backend: execBackend.create!(config, { name: 'exec', log, stateDir: folder }), lines };
}

const facts: Facts = {
  usb: { vendorId: '0403', productId: '6001', serialNumber: 'A1', interfaces: [] },
  serial: { path: '/dev/ttyUSB0', byId: '/dev/serial/by-id/usb-FTDI_A1-if00-port0' },
  params: { site: 'lab' },
};
const change = (notify: Record<string, unknown>, op: Change['op'] = 'create'): Change => ({
  op,
  identifier: 'zwave:A1',
  payload: { identifier: 'zwave:A1', name: 'Z-Wave stick' },
  notify: { backend: 'exec', ...notify },
  facts,
  profile: 'zwave-stick',
});
const signal = new AbortController().signal;

test('exec options: argv lists of strings or JSON-logic, a timeout', () => {
  assert.deepEqual(
    notifyIssues(
      '{ backend: exec, added: [/bin/true], removed: [/bin/rm, { var: facts.serial.path }], timeoutMs: 500 }',
    ),
    [],
  );
  assert.deepEqual(notifyIssues('{ backend: exec, added: [] }'), [{ code: 'invalid-value', line: 5, col: 29 }]);
  assert.deepEqual(notifyIssues('{ backend: exec, added: "/bin/true x" }'), [{ code: 'wrong-type', line: 5, col: 29 }]);
  assert.deepEqual(notifyIssues('{ backend: exec, onAdd: [/bin/true] }'), [{ code: 'unknown-key', line: 5, col: 22 }]);
  assert.deepEqual(configIssues('    type: exec\n    timeoutMs: 1000\n'), []);
  assert.deepEqual(configIssues('    type: exec\n    timeoutMs: 5\n'), [{ code: 'invalid-value', line: 4, col: 16 }]);
});

describe('exec backend', () => {
  test('the program gets the facts as DEVICE_* variables, and nothing of the engine environment but PATH', async () => {
    const out = path.join(folder, 'env.json');
    const dump = script(
      'dump-env.mjs',
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(out)}, JSON.stringify({ env: process.env, argv: process.argv.slice(2) }));\nconsole.log('attached', process.argv[2]);\n`,
    );
    process.env.BALENA_SUPERVISOR_API_KEY = 'never-pass-me-on';
    try {
      const { backend: exec, lines } = backend();
      const result = await exec.apply(
        change({ added: [process.execPath, dump, { var: 'facts.serial.path' }, { var: 'identifier' }] }),
        signal,
      );
      assert.deepEqual(result, { outcome: 'acknowledged' });
      const { env, argv } = JSON.parse(readFileSync(out, 'utf8')) as { env: Record<string, string>; argv: string[] };
      assert.deepEqual(argv, ['/dev/ttyUSB0', 'zwave:A1']);
      assert.equal(env.DEVICE_SERIAL_PATH, '/dev/ttyUSB0');
      assert.equal(env.DEVICE_SERIAL_BY_ID, '/dev/serial/by-id/usb-FTDI_A1-if00-port0');
      assert.equal(env.DEVICE_USB_VENDOR_ID, '0403');
      assert.equal(env.DEVICE_USB_SERIAL_NUMBER, 'A1');
      assert.equal(env.DEVICE_USB_INTERFACES, '[]');
      assert.equal(env.DEVICE_PARAMS_SITE, 'lab');
      assert.equal(env.DEVICE_EVENT, 'added');
      assert.equal(env.DEVICE_IDENTIFIER, 'zwave:A1');
      assert.equal(env.DEVICE_PROFILE, 'zwave-stick');
      assert.deepEqual(JSON.parse(env.DEVICE_PAYLOAD!), { identifier: 'zwave:A1', name: 'Z-Wave stick' });
      assert.deepEqual(JSON.parse(env.DEVICE_FACTS!), facts);
      assert.equal(env.BALENA_SUPERVISOR_API_KEY, undefined);
      const foreign = Object.keys(env).filter((name) => name !== 'PATH' && !name.startsWith('DEVICE_'));
      assert.deepEqual(foreign, [], 'only PATH and DEVICE_* (node itself may add nothing else)');
      assert.ok(
        lines.some(
          (line) => line.msg === 'program output' && line.line === 'attached /dev/ttyUSB0' && line.stream === 'stdout',
        ),
      );
    } finally {
      delete process.env.BALENA_SUPERVISOR_API_KEY;
    }
  });

  test('removed runs with the facts the change carries, and event removed', async () => {
    const out = path.join(folder, 'removed.txt');
    const record = script(
      'record-event.mjs',
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(out)}, process.env.DEVICE_EVENT + ' ' + process.env.DEVICE_SERIAL_PATH);\n`,
    );
    const { backend: exec } = backend();
    assert.deepEqual(await exec.apply(change({ removed: [process.execPath, record] }, 'delete'), signal), {
      outcome: 'acknowledged',
    });
    assert.equal(readFileSync(out, 'utf8'), 'removed /dev/ttyUSB0');
  });

  test('no program for the event: acknowledged without running anything', async () => {
    const { backend: exec, lines } = backend();
    assert.deepEqual(await exec.apply(change({ removed: ['/nonexistent'] }, 'update'), signal), {
      outcome: 'acknowledged',
    });
    assert.equal(lines.length, 0);
  });

  test('a non-zero exit is retried; a missing program is permanent; an argv expression with no value is permanent', async () => {
    const { backend: exec } = backend();
    const failing = script('fail.mjs', 'console.error("no container"); process.exit(3);\n');
    assert.deepEqual(await exec.apply(change({ added: [process.execPath, failing] }), signal), {
      outcome: 'retry',
      reason: `${process.execPath} exited with code 3`,
    });
    assert.deepEqual(await exec.apply(change({ added: ['/no/such/program'] }), signal), {
      outcome: 'permanent',
      reason: '/no/such/program could not be started (ENOENT)',
    });
    const noFact = await exec.apply(change({ added: ['/bin/echo', { var: 'facts.file.path' }] }), signal);
    assert.deepEqual(noFact, { outcome: 'permanent', reason: 'argv[1] evaluates to null, not a string' });
  });

  test(
    'a program that outlives its timeout gets SIGTERM, then SIGKILL when it ignores it',
    { timeout: 120_000 },
    async () => {
      // The program must have set its handler before the timeout, or SIGTERM alone ends it: on a
      // busy machine starting node can outlast any fixed timeout. So each run that ended before
      // the program wrote its pid file (after setting the handler) is run again with twice the
      // timeout; the one that got that far is checked.
      for (let timeoutMs = 300; ; timeoutMs *= 2) {
        const pidFile = path.join(folder, `stubborn-${timeoutMs}.pid`);
        const termFile = path.join(folder, `stubborn-${timeoutMs}.sigterm`);
        const stubborn = script(
          `stubborn-${timeoutMs}.mjs`,
          `import { writeFileSync } from 'node:fs';\nprocess.on('SIGTERM', () => { writeFileSync(${JSON.stringify(termFile)}, ''); console.log('ignoring SIGTERM'); });\nwriteFileSync(${JSON.stringify(pidFile)}, String(process.pid));\nsetInterval(() => {}, 1000);\n`,
        );
        const { backend: exec, lines } = backend({ timeoutMs });
        const started = Date.now();
        const result = await exec.apply(change({ added: [process.execPath, stubborn] }), signal);
        const took = Date.now() - started;
        assert.equal(result.outcome, 'retry');
        assert.match((result as { reason: string }).reason, /timed out after \d+ ms and was killed/);
        assert.ok(took >= timeoutMs, `took ${took} ms, less than the timeout`);
        if (!existsSync(pidFile)) {
          assert.ok(timeoutMs < 20_000, 'the program never started within 20 s');
          continue;
        }
        const pid = Number(readFileSync(pidFile, 'utf8'));
        assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the program is gone');
        assert.ok(existsSync(termFile), 'SIGTERM came first, and the program outlived it');
        assert.ok(
          lines.some((line) => line.line === 'ignoring SIGTERM'),
          'its output was logged',
        );
        return;
      }
    },
  );

  test('a program that stops at SIGTERM ends at the timeout, not 2 s later', async () => {
    const sleeper = script('sleeper.mjs', 'setTimeout(() => {}, 60_000);\n');
    const { backend: exec } = backend();
    const started = Date.now();
    const result = await exec.apply(change({ added: [process.execPath, sleeper], timeoutMs: 200 }), signal);
    assert.equal(result.outcome, 'retry');
    // Waiting for SIGKILL would take the timeout plus the grace at least, however fast the machine.
    const took = Date.now() - started;
    assert.ok(took < 200 + KILL_GRACE_MS, `took ${took} ms: the SIGKILL grace was waited out`);
  });

  test('output is logged line by line, bounded', async () => {
    const chatty = script('chatty.mjs', 'for (let i = 0; i < 500; i++) console.log("line " + i);\n');
    const { backend: exec, lines } = backend();
    assert.deepEqual(await exec.apply(change({ added: [process.execPath, chatty] }), signal), {
      outcome: 'acknowledged',
    });
    assert.equal(lines.filter((line) => line.msg === 'program output').length, 50);
    assert.equal(lines.find((line) => line.msg === 'program output truncated')?.droppedLines, 450);
  });
});
