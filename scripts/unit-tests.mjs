// `npm run test:unit`: the tests that run inside the test process, in about half a minute, for
// the edit-compile-test loop. Left to `npm test`: the system tests (engine processes in
// test/daemon and test/chaos, umockdev in test/umockdev, the image replay in test/package, the
// browser), the command-line tests that spawn `engine`, and the long runs (the validator fuzz,
// the generated validators compared on every corpus profile, flock(1) against NuvlaEdge).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const SYSTEM_FOLDERS = ['daemon', 'chaos', 'umockdev', 'package'];
const SYSTEM_FILE =
  /^(cli-.*|docs|examples.*|home-assistant|shipped-profiles|status-page-browser|validate-fuzz|prebuilt-validators|nuvlaedge-files)\.test\.js$/;

const root = path.join('dist', 'test');
const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.js'))
  .filter((file) => !SYSTEM_FOLDERS.includes(file.split(path.sep)[0]) && !SYSTEM_FILE.test(path.basename(file)))
  .map((file) => path.join(root, file))
  .sort();
// The unit tests wait mostly on files and loopback sockets: more of them at once than cores.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=4', ...process.argv.slice(2), ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
