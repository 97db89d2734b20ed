// `npm run test:unit`: the tests that run inside the test process, for the edit-compile-test
// loop. Left to `npm test`: the system tests, which say so by where they are or by their name:
// the folders of engine processes (test/daemon, test/chaos), simulated hardware (test/umockdev)
// the image replay (test/package) and the real network peers (test/network, which need the
// suite's network namespace), and every `*.system.test.ts` elsewhere (command-line
// runs of `engine`, the browser, the docs and examples, and the long runs: the validator fuzz,
// the generated validators compared on every corpus profile, flock(1) against NuvlaEdge).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const SYSTEM_FOLDERS = ['daemon', 'chaos', 'umockdev', 'package', 'network'];

const root = path.join('dist', 'test');
const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.js') && !file.endsWith('.system.test.js'))
  .filter((file) => !SYSTEM_FOLDERS.includes(file.split(path.sep)[0]))
  .map((file) => path.join(root, file))
  .sort();
// The unit tests wait mostly on files and loopback sockets: more of them at once than cores.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=4', ...process.argv.slice(2), ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
