import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, runCli } from './paths.js';

const BAD = path.join(ROOT, 'test', 'profiles', 'bad');
const ISSUE_LINE = /^(\S+):(\d+):(\d+) (error|warning) ([a-z-]+) .+$/;

function folderWith(files: Record<string, string>): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'engine-validate-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(folder, name), text);
  return folder;
}

const broadProfile = `name: bare-cp210x
detect:
  usb: { vendorId: "10c4", productId: "ea60" }
map: { classes: [serial] }
notify: [{ backend: stdout }]
`;

describe('engine validate', () => {
  test('the shipped profiles are valid: exit 0', () => {
    const result = runCli(['validate']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^\d+ files checked: 0 errors, 0 warnings$/m);
  });

  test('a folder with no profile is exit 1 with a message, in every format', () => {
    const folder = folderWith({ 'notes.txt': 'not a profile\n' });
    for (const format of ['text', 'json', 'github']) {
      const result = runCli(['validate', folder, '--format', format]);
      assert.equal(result.status, 1, format);
      assert.equal(result.stderr, `engine: no profile found in ${folder} (profiles are *.yaml or *.yml files)\n`);
    }
  });

  test('text: every issue as file:line:col severity code message, with the source line and a caret', () => {
    const result = runCli(['validate', path.join(BAD, 'usb-id-octal-looking.yaml')]);
    assert.equal(result.status, 1);
    const lines = result.stdout.split('\n');
    const first = lines.findIndex((line) => ISSUE_LINE.test(line));
    const [, file, line, col, severity, code] = ISSUE_LINE.exec(lines[first]!)!;
    assert.deepEqual(
      [path.basename(file!), line, col, severity, code],
      ['usb-id-octal-looking.yaml', '7', '15', 'error', 'usb-id-number'],
    );
    assert.match(lines[first + 1]!, /^\s+7 \| {5}vendorId: 0403$/);
    // The caret sits under column 15 of the quoted line.
    const quoted = lines[first + 1]!;
    const caret = lines[first + 2]!;
    assert.equal(caret.indexOf('^'), quoted.indexOf('|') + 2 + 14);
  });

  test('a broken file never hides the problems of the others', () => {
    const folder = folderWith({
      'a-broken.yaml': 'name: [unclosed\n',
      'b-bad-id.yaml':
        'name: b\ndetect: { usb: { vendorId: 0x0403, product: "x" } }\nmap: {}\nnotify: [{ backend: stdout }]\n',
      'c-good.yaml': 'name: c\ndetect: { file: { path: /dev/c } }\nmap: {}\nnotify: [{ backend: stdout }]\n',
    });
    const result = runCli(['validate', folder, '--format', 'json']);
    assert.equal(result.status, 1);
    const report = JSON.parse(result.stdout) as { filesChecked: number; issues: { file: string; code: string }[] };
    assert.equal(report.filesChecked, 3);
    const byFile = (name: string) =>
      report.issues.filter((issue) => path.basename(issue.file) === name).map((issue) => issue.code);
    assert.deepEqual(byFile('a-broken.yaml'), ['yaml-syntax']);
    assert.deepEqual(byFile('b-bad-id.yaml'), ['usb-id-number']);
    assert.deepEqual(byFile('c-good.yaml'), []);
  });

  test('json: machine-readable counts and positioned issues', () => {
    const result = runCli(['validate', BAD, '--format', 'json']);
    assert.equal(result.status, 1);
    const report = JSON.parse(result.stdout) as {
      filesChecked: number;
      errors: number;
      warnings: number;
      issues: Record<string, unknown>[];
    };
    assert.ok(report.filesChecked >= 30);
    assert.equal(report.errors + report.warnings, report.issues.length);
    for (const issue of report.issues) {
      assert.deepEqual(Object.keys(issue).sort(), ['code', 'col', 'file', 'line', 'message', 'severity']);
    }
  });

  test('github: one workflow annotation per issue', () => {
    const result = runCli(['validate', BAD, '--format', 'github']);
    assert.equal(result.status, 1);
    const annotations = result.stdout.split('\n').filter((line) => line.startsWith('::'));
    assert.ok(annotations.length >= 30);
    for (const line of annotations)
      assert.match(line, /^::(error|warning) file=[^,]+,line=\d+,col=\d+,title=[a-z-]+::\S/);
    assert.ok(annotations.some((line) => line.includes('title=usb-id-number') && line.includes('line=7,col=15')));
  });

  test('warnings pass, and fail only with --strict', () => {
    const folder = folderWith({ 'bare.yaml': broadProfile });
    const relaxed = runCli(['validate', folder]);
    assert.equal(relaxed.status, 0, relaxed.stdout);
    assert.match(relaxed.stdout, /warning broad-matcher/);
    assert.equal(runCli(['validate', '--strict', folder]).status, 1);
  });

  test('usage errors exit 2', () => {
    for (const args of [
      ['validate', '--frobnicate'],
      ['validate', '/no/such/folder'],
      ['validate', '--format', 'xml'],
      ['frobnicate'],
      ['validate', '--config', '/no/such.yaml'],
    ]) {
      const result = runCli(args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^engine: /);
    }
  });

  test('--config decides which backend names exist and checks their options', () => {
    const folder = folderWith({
      'engine.yaml':
        'params: { site: lab }\nbackends:\n  agent:\n    type: nuvlabox-agent\n    url: ${AGENT_URL:-http://127.0.0.1:5080/api}\n',
      'profile.yaml':
        'name: p\ndetect: { file: { path: /dev/p } }\nmap: {}\nnotify:\n  - backend: agent\n  - backend: nuvlabox\n',
    });
    const result = runCli([
      'validate',
      path.join(folder, 'profile.yaml'),
      '--config',
      path.join(folder, 'engine.yaml'),
    ]);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /profile\.yaml:6:14 error unknown-backend/);
    assert.doesNotMatch(result.stdout, /profile\.yaml:5:/);
  });

  test('a config file with problems is reported with positions too', () => {
    const folder = folderWith({
      'engine.yaml':
        'backends:\n  agent:\n    type: nuvlabox-agent\n    url: ${NO_SUCH_VARIABLE_FOR_TESTS}\n    colour: blue\n',
      'profile.yaml': 'name: p\ndetect: { file: { path: /dev/p } }\nmap: {}\nnotify: [{ backend: stdout }]\n',
    });
    const env = { ...process.env };
    delete env.NO_SUCH_VARIABLE_FOR_TESTS;
    const result = runCli(['validate', folder + '/profile.yaml', '--config', path.join(folder, 'engine.yaml')], {
      env,
    });
    assert.equal(result.status, 1);
    assert.match(result.stdout, /engine\.yaml:4:10 error env-undefined/);
    assert.match(result.stdout, /engine\.yaml:5:5 error unknown-key/);
  });

  test('a config that expands YAML aliases without bound is an issue, not a crash', () => {
    const aliases = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefghi'
        .split('')
        .map((name, index) => `${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[index]}`).join(', ')}]`),
    ];
    const folder = folderWith({
      'engine.yaml': `params:\n${aliases.map((line) => `  ${line}`).join('\n')}\n`,
      'profile.yaml': 'name: p\ndetect: { file: { path: /dev/p } }\nmap: {}\nnotify: [{ backend: stdout }]\n',
    });
    const result = runCli([
      'validate',
      path.join(folder, 'profile.yaml'),
      '--config',
      path.join(folder, 'engine.yaml'),
    ]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /engine\.yaml:1:1 error yaml-syntax .*alias/i);
  });
});

describe('engine schema, --version, --help', () => {
  test('engine schema prints exactly the committed schemas/profile.schema.json', () => {
    const result = runCli(['schema']);
    assert.equal(result.status, 0);
    assert.deepEqual(
      JSON.parse(result.stdout),
      JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'profile.schema.json'), 'utf8')),
    );
  });

  test('engine schema --config prints exactly the committed schemas/config.schema.json', () => {
    const result = runCli(['schema', '--config']);
    assert.equal(result.status, 0);
    assert.deepEqual(
      JSON.parse(result.stdout),
      JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'config.schema.json'), 'utf8')),
    );
    assert.equal(runCli(['schema', '--config', '--tests']).status, 2);
  });

  test('the schemas are made for editors: examples are text, structured ones are YAML snippets, JSON-logic has completions', () => {
    const found = { structuredExamples: [] as string[], snippets: 0, logicSnippet: false, factSnippet: false };
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) return node.forEach((item, index) => walk(item, `${at}/${index}`));
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, unknown>;
      for (const example of (schema.examples as unknown[] | undefined) ?? [])
        if (typeof example === 'object' && example !== null) found.structuredExamples.push(at);
      const snippets = (schema.defaultSnippets as { label: string; body: unknown }[] | undefined) ?? [];
      found.snippets += snippets.length;
      found.logicSnippet ||= snippets.some((snippet) => snippet.label === 'glob');
      found.factSnippet ||= snippets.some((snippet) => snippet.label === 'var usb.vendorId');
      for (const [key, value] of Object.entries(schema))
        if (!['examples', 'defaultSnippets', 'default', 'const', 'enum'].includes(key)) walk(value, `${at}/${key}`);
    };
    for (const name of ['profile.schema.json', 'profile-tests.schema.json', 'config.schema.json'])
      walk(JSON.parse(readFileSync(path.join(ROOT, 'schemas', name), 'utf8')), name);
    assert.deepEqual(found.structuredExamples, []);
    assert.ok(found.snippets > 20 && found.logicSnippet && found.factSnippet, JSON.stringify(found));
  });

  test('--version prints the package version; --help the usage', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(runCli(['--version']).stdout.trim(), manifest.version);
    const help = runCli(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /engine validate/);
  });
});
